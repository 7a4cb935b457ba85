package io.lightd.runtime.docker;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Splits the engine's multiplexed stream (a container without a TTY) into output chunks: each
 * frame is an 8-byte header {@code [type, 0, 0, 0, size as uint32 big-endian]} and {@code size}
 * payload bytes; type 1 is stdout, 2 stderr. Payload bytes of stdout and stderr go on as retained
 * slices of the buffer they arrived in, in arrival order, as soon as they arrive (a frame split
 * over two reads gives two chunks), so nothing is copied or held back. Payload of other types is
 * skipped.
 *
 * <p>One instance per channel, used only on its event loop.
 */
final class MultiplexedStreamDecoder extends ChannelInboundHandlerAdapter {

    static final int HEADER_SIZE = 8;

    private final byte[] header = new byte[HEADER_SIZE];
    private int headerBytes;
    private long payloadLeft;
    private boolean output;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            while (in.isReadable()) {
                if (payloadLeft == 0) {
                    int n = Math.min(HEADER_SIZE - headerBytes, in.readableBytes());
                    in.readBytes(header, headerBytes, n);
                    headerBytes += n;
                    if (headerBytes < HEADER_SIZE) {
                        return;
                    }
                    headerBytes = 0;
                    output = header[0] == 1 || header[0] == 2;
                    payloadLeft = ((header[4] & 0xffL) << 24) | ((header[5] & 0xff) << 16)
                            | ((header[6] & 0xff) << 8) | (header[7] & 0xff);
                    continue;
                }
                int n = (int) Math.min(payloadLeft, in.readableBytes());
                payloadLeft -= n;
                if (output) {
                    ctx.fireChannelRead(in.readRetainedSlice(n));
                } else {
                    in.skipBytes(n);
                }
            }
        } finally {
            in.release();
        }
    }
}
