package io.lightd.benchmarks;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/** Server-to-client WebSocket text frames as wire bytes (RFC 6455: FIN, opcode 1, no mask). */
final class WireFrames {

    private WireFrames() {
    }

    static int headerLength(int payloadLength) {
        return payloadLength < 126 ? 2 : payloadLength <= 0xffff ? 4 : 10;
    }

    /** One direct buffer holding header and payload, ready to be shared by every subscriber. */
    static ByteBuf text(ByteBufAllocator alloc, byte[] payload) {
        int n = payload.length;
        ByteBuf buf = alloc.directBuffer(headerLength(n) + n);
        buf.writeByte(0x81);
        if (n < 126) {
            buf.writeByte(n);
        } else if (n <= 0xffff) {
            buf.writeByte(126);
            buf.writeShort(n);
        } else {
            buf.writeByte(127);
            buf.writeLong(n);
        }
        return buf.writeBytes(payload);
    }
}
