package io.lightd.server.fanout;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Encodes an outbound event once as a complete WebSocket text frame: header and JSON payload in one
 * buffer, which every subscriber then gets as a retained duplicate. Server frames are never masked,
 * and lightd negotiates no extensions, so the bytes are the same for every connection and the
 * per-connection frame encoder has nothing to add.
 */
public final class SharedFrames {

    private static final int FIN_TEXT = 0x81;

    private SharedFrames() {
    }

    /**
     * One complete text frame (RFC 6455 section 5.2: FIN, opcode 1, no mask, the shortest length
     * form) holding {@code json}, in one direct buffer from {@code allocator} sized exactly; the
     * caller owns it (one reference).
     *
     * @param json an encoded event, UTF-8 ({@link io.lightd.protocol.OutboundEvents})
     */
    public static ByteBuf text(ByteBufAllocator allocator, byte[] json) {
        int length = json.length;
        int header = headerLength(length);
        ByteBuf frame = allocator.directBuffer(header + length, header + length);
        frame.writeByte(FIN_TEXT);
        if (length < 126) {
            frame.writeByte(length);
        } else if (length <= 0xFFFF) {
            frame.writeByte(126);
            frame.writeShort(length);
        } else {
            frame.writeByte(127);
            frame.writeLong(length);
        }
        frame.writeBytes(json);
        return frame;
    }

    /** The bytes of a server frame's header for a payload of {@code payloadLength} bytes: 2, 4 or 10. */
    public static int headerLength(int payloadLength) {
        return payloadLength < 126 ? 2 : payloadLength <= 0xFFFF ? 4 : 10;
    }

    /** The payload of a frame made by {@link #text}, for tests and diagnostics. */
    public static byte[] payload(ByteBuf frame) {
        int index = frame.readerIndex();
        int length = frame.getByte(index + 1) & 0x7f;
        int header = length < 126 ? 2 : length == 126 ? 4 : 10;
        byte[] json = new byte[frame.readableBytes() - header];
        frame.getBytes(index + header, json);
        return json;
    }
}
