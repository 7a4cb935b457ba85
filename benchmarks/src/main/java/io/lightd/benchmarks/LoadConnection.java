package io.lightd.benchmarks;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.nio.charset.StandardCharsets;

/**
 * One console connection of the load client. Counts console events and lines, finds gaps in the
 * {@code seq=N} numbers of the console source, counts console payload bytes, and times the echo of
 * every probe it sees ({@code probe <conn> <nanoTime>}, sent by one connection and echoed by the
 * container to all of them), so one probe is timed at every client. Scans the frame bytes without decoding them to strings so
 * the client spends little CPU beside the daemon. Confined to the connection's event loop.
 *
 * <p>A <em>stalled</em> connection stops reading from its socket once the upgrade is done
 * ({@code autoRead} off), so the kernel buffers fill and the daemon's side goes unwritable, until
 * {@link #resume()}. It keeps figures of its own for the report: the close code it was sent, the
 * daemon's skipped notices and what it received around them. Fields read by other threads are
 * volatile; they are read once the connection is quiet.
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
    private final boolean stalled;
    private Channel channel;
    private boolean open;
    private long lastSeq = -1;

    /** Whether the connection reads now: false for a stalled connection until {@link #resume()}. */
    private volatile boolean reading = true;
    /** Status code of the close frame the daemon sent, or -1 when none arrived. */
    volatile int closeCode = -1;
    /** True once the upgrade is done. */
    volatile boolean upgraded;
    /** True once the connection is closed after its upgrade, by either side. */
    volatile boolean closed;
    /** What made this client close the connection, when an error did. */
    volatile Throwable error;
    /** Frame payload bytes read since {@link #resume}. */
    volatile long bytesAfterResume;
    /** The newest line the reading connections had when this one resumed; -1 before. */
    private volatile long resumeTargetSeq = -1;
    /** When this connection, resumed, reached that line (0 before), and the bytes it read until then. */
    volatile long caughtUpNanos;
    volatile long caughtUpBytes;
    /** nanoTime of the last frame read, to tell when a resumed connection has gone quiet. */
    volatile long lastReadNanos;
    /** Skipped notices received, and the sum of the N they reported. */
    volatile long notices;
    volatile long noticeSkipped;
    /** The N of the first notice. */
    volatile long firstNoticeSkipped;
    /** Lines lost (gaps) up to the first line after the first skipped notice (the skipped stretch), and after that. */
    volatile long lostBeforeNotice;
    volatile long lostAfterNotice;
    /** Lines received after the first skipped notice. */
    volatile long linesAfterNotice;
    /** Frame payload bytes read after resuming and before the first notice: the backlog that was queued for it. */
    volatile long backlogBytes;

    LoadConnection(int index, LoadCounters counters, Promise<Channel> connected) {
        this(index, counters, connected, false);
    }

    LoadConnection(int index, LoadCounters counters, Promise<Channel> connected, boolean stalled) {
        this.index = index;
        this.counters = counters;
        this.connected = connected;
        this.stalled = stalled;
        this.reading = !stalled;
    }

    boolean stalled() {
        return stalled;
    }

    boolean reading() {
        return reading;
    }

    /**
     * Starts reading again (a stalled connection); {@code targetSeq} is the newest line the reading
     * connections have seen, to tell when this one has caught up. Call on any thread.
     */
    void resume(long targetSeq) {
        Channel ch = channel;
        resumeTargetSeq = targetSeq;
        reading = true;
        if (ch != null) {
            ch.eventLoop().execute(() -> {
                lastReadNanos = System.nanoTime();
                ch.config().setAutoRead(true);
            });
        }
    }

    /** Sends one echo probe; call on any thread. */
    void probe() {
        Channel ch = channel;
        if (ch == null || !ch.isActive()) {
            return;
        }
        ch.eventLoop().execute(() -> {
            long sent = System.nanoTime();
            String json = "{\"event\":\"send_command\",\"command\":\"probe " + index + " " + sent + "\\n\"}";
            counters.probeSent(sent);
            ch.writeAndFlush(new TextWebSocketFrame(json));
        });
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            channel = ctx.channel();
            open = true;
            upgraded = true;
            if (!reading) {
                channel.config().setAutoRead(false);
            }
            counters.held.incrementAndGet();
            connected.trySuccess(channel);
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            lastReadNanos = System.nanoTime();
            if (msg instanceof TextWebSocketFrame frame) {
                if (stalled) {
                    bytesAfterResume += frame.content().readableBytes();
                    if (notices == 0) {
                        backlogBytes += frame.content().readableBytes();
                    }
                }
                read(frame.content());
            } else if (msg instanceof CloseWebSocketFrame close) {
                closeCode = close.statusCode();
                ctx.close();
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
            counters.bytes.add(end - start);
            for (int i = start + CONSOLE.length; i < end; i++) {
                if (startsWith(b, i, end, SEQ)) {
                    i += SEQ.length;
                    long seq = number(b, i, end);
                    onSeq(seq);
                } else if (startsWith(b, i, end, PROBE)) {
                    i += PROBE.length;
                    long conn = number(b, i, end);
                    int space = b.indexOf(i, end, (byte) ' ');
                    if (space > 0) {
                        long sent = number(b, space + 1, end);
                        counters.probeSeen(sent, System.nanoTime());
                        if (conn == index) {
                            counters.probesAnswered.increment();
                        }
                    }
                }
            }
        } else if (startsWith(b, start, end, SKIPPED)) {
            long n = number(b, start + SKIPPED.length, end);
            if (n > 0) {
                counters.reportedSkipped.add(n);
                noticeSkipped += n;
                if (notices == 0) {
                    firstNoticeSkipped = n;
                }
            }
            notices++;
        }
    }

    private void onSeq(long seq) {
        if (seq < 0) {
            return;
        }
        counters.lines.increment();
        counters.maxSeq.accumulate(seq);
        if (stalled && caughtUpNanos == 0 && resumeTargetSeq >= 0 && seq >= resumeTargetSeq) {
            caughtUpNanos = System.nanoTime();
            caughtUpBytes = bytesAfterResume;
        }
        // The skipped stretch shows as a gap at the first line after the notice.
        boolean firstAfterNotice = notices > 0 && linesAfterNotice == 0;
        if (notices > 0) {
            linesAfterNotice++;
        }
        if (lastSeq >= 0 && seq > lastSeq + 1) {
            long gap = seq - lastSeq - 1;
            counters.lost.add(gap);
            if (notices > 0 && !firstAfterNotice) {
                lostAfterNotice += gap;
            } else {
                lostBeforeNotice += gap;
            }
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
            closed = true;
            open = false;
            counters.held.decrementAndGet();
        }
        connected.tryFailure(new IllegalStateException("connection closed before the upgrade"));
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (error == null) {
            error = cause;
        }
        connected.tryFailure(cause);
        ctx.close();
    }
}
