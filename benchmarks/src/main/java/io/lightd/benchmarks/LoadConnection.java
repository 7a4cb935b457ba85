package io.lightd.benchmarks;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.nio.charset.StandardCharsets;

/**
 * One console connection of the load client. Counts console events and lines, finds gaps in the
 * {@code seq=N} numbers of the console source, and times its own echo probes ({@code probe <conn>
 * <nanoTime>}, echoed by the container). Scans the frame bytes without decoding them to strings so
 * the client spends little CPU beside the daemon. Confined to the connection's event loop.
 */
final class LoadConnection extends ChannelInboundHandlerAdapter {

    private static final byte[] CONSOLE = "{\"event\":\"console\",\"data\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SKIPPED =
            "{\"event\":\"daemon_message\",\"data\":\"Error: skipped ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SEQ = "seq=".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PROBE = "probe ".getBytes(StandardCharsets.US_ASCII);

    private final int index;
    private final LoadCounters counters;
    private final Promise<Channel> connected;
    private Channel channel;
    private boolean open;
    private long lastSeq = -1;

    LoadConnection(int index, LoadCounters counters, Promise<Channel> connected) {
        this.index = index;
        this.counters = counters;
        this.connected = connected;
    }

    /** Sends one echo probe; call on any thread. */
    void probe() {
        Channel ch = channel;
        if (ch == null || !ch.isActive()) {
            return;
        }
        ch.eventLoop().execute(() -> {
            String json = "{\"event\":\"send_command\",\"command\":\"probe " + index + " " + System.nanoTime() + "\\n\"}";
            counters.probesSent.increment();
            ch.writeAndFlush(new TextWebSocketFrame(json));
        });
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            channel = ctx.channel();
            open = true;
            counters.held.incrementAndGet();
            connected.trySuccess(channel);
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof TextWebSocketFrame frame) {
                read(frame.content());
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void read(ByteBuf b) {
        int start = b.readerIndex();
        int end = b.writerIndex();
        if (startsWith(b, start, end, CONSOLE)) {
            counters.consoleEvents.increment();
            for (int i = start + CONSOLE.length; i < end; i++) {
                if (startsWith(b, i, end, SEQ)) {
                    i += SEQ.length;
                    long seq = number(b, i, end);
                    onSeq(seq);
                } else if (startsWith(b, i, end, PROBE)) {
                    i += PROBE.length;
                    long conn = number(b, i, end);
                    int space = b.indexOf(i, end, (byte) ' ');
                    if (conn == index && space > 0) {
                        long sent = number(b, space + 1, end);
                        counters.recordLatency(System.nanoTime() - sent);
                        counters.probesAnswered.increment();
                    }
                }
            }
        } else if (startsWith(b, start, end, SKIPPED)) {
            long n = number(b, start + SKIPPED.length, end);
            if (n > 0) {
                counters.reportedSkipped.add(n);
            }
        }
    }

    private void onSeq(long seq) {
        if (seq < 0) {
            return;
        }
        counters.lines.increment();
        if (lastSeq >= 0 && seq > lastSeq + 1) {
            counters.lost.add(seq - lastSeq - 1);
        }
        if (seq > lastSeq) {
            lastSeq = seq;
        }
    }

    private static boolean startsWith(ByteBuf b, int at, int end, byte[] prefix) {
        if (end - at < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (b.getByte(at + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static long number(ByteBuf b, int at, int end) {
        long n = 0;
        int i = at;
        while (i < end) {
            byte c = b.getByte(i);
            if (c < '0' || c > '9') {
                break;
            }
            n = n * 10 + (c - '0');
            i++;
        }
        return i == at ? -1 : n;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (open) {
            open = false;
            counters.held.decrementAndGet();
        }
        connected.tryFailure(new IllegalStateException("connection closed before the upgrade"));
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        connected.tryFailure(cause);
        ctx.close();
    }
}
