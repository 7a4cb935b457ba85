package io.lightd.server.fanout;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;

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
        int size = frameLength(json.length);
        ByteBuf frame = allocator.directBuffer(size, size);
        writeText(frame, json);
        return frame;
    }

    /**
     * Two complete text frames, {@code first} then {@code second}, back to back in one direct buffer
     * sized exactly: what a subscriber gets for one console event ({@code console} and
     * {@code console duplicate}), so the pair costs one outbound entry and one send per connection,
     * not two. The caller owns it (one reference).
     */
    public static ByteBuf texts(ByteBufAllocator allocator, byte[] first, byte[] second) {
        int size = frameLength(first.length) + frameLength(second.length);
        ByteBuf frames = allocator.directBuffer(size, size);
        writeText(frames, first);
        writeText(frames, second);
        return frames;
    }

    private static void writeText(ByteBuf out, byte[] json) {
        int length = json.length;
        out.writeByte(FIN_TEXT);
        if (length < 126) {
            out.writeByte(length);
        } else if (length <= 0xFFFF) {
            out.writeByte(126);
            out.writeShort(length);
        } else {
            out.writeByte(127);
            out.writeLong(length);
        }
        out.writeBytes(json);
    }

    /** The bytes of a whole server frame (header and payload) for a payload of {@code payloadLength} bytes. */
    public static int frameLength(int payloadLength) {
        return headerLength(payloadLength) + payloadLength;
    }

    /** The bytes of a server frame's header for a payload of {@code payloadLength} bytes: 2, 4 or 10. */
    public static int headerLength(int payloadLength) {
        return payloadLength < 126 ? 2 : payloadLength <= 0xFFFF ? 4 : 10;
    }

    /** The payload of a frame made by {@link #text}, for tests and diagnostics. */
    public static byte[] payload(ByteBuf frame) {
        List<byte[]> payloads = payloads(frame);
        if (payloads.size() != 1) {
            throw new IllegalArgumentException("not one frame but " + payloads.size());
        }
        return payloads.get(0);
    }

    /**
     * The payloads of the frames in a buffer made by {@link #text} or {@link #texts}, in order, for
     * tests and diagnostics; the buffer's indices do not move.
     *
     * @throws IllegalArgumentException when the bytes end inside a frame
     */
    public static List<byte[]> payloads(ByteBuf frames) {
        List<byte[]> out = new ArrayList<>(2);
        int index = frames.readerIndex();
        int end = frames.writerIndex();
        while (index < end) {
            if (end - index < 2) {
                throw new IllegalArgumentException("a frame header is cut at " + index);
            }
            int length = frames.getByte(index + 1) & 0x7f;
            int header = 2;
            long payloadLength = length;
            if (length == 126) {
                header = 4;
                payloadLength = frames.getUnsignedShort(index + 2);
            } else if (length == 127) {
                header = 10;
                payloadLength = frames.getLong(index + 2);
            }
            if (payloadLength > end - index - header) {
                throw new IllegalArgumentException("a frame's payload is cut at " + index);
            }
            byte[] json = new byte[(int) payloadLength];
            frames.getBytes(index + header, json);
            out.add(json);
            index += header + json.length;
        }
        return out;
    }
}
