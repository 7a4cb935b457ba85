package io.lightd.benchmarks;

import io.lightd.protocol.OutboundEvents;
import io.lightd.server.fanout.SharedFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/** The console chunk every fan-out benchmark sends: one typical game-server log line. */
final class ConsoleLine {

    static final String TEXT = "[12:34:56] [Server thread/INFO]: Player042 joined the game (0123456789abcdef)\n";

    /** Events per benchmark operation: a short burst, as consoles print. */
    static final int BURST = 16;

    private ConsoleLine() {
    }

    static ByteBuf buffer() {
        return Unpooled.unreleasableBuffer(Unpooled.directBuffer().writeBytes(TEXT.getBytes(StandardCharsets.UTF_8)));
    }

    /** Wire bytes one subscriber receives per event: the console and console duplicate frames. */
    static long wireBytesPerSubscriber() {
        int c = OutboundEvents.console(TEXT).length;
        int d = OutboundEvents.consoleDuplicate(TEXT).length;
        return SharedFrames.headerLength(c) + c + SharedFrames.headerLength(d) + d;
    }
}
