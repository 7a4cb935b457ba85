package io.lightd.benchmarks;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The client side of the loopback benchmark: reads and discards, counting bytes over all its
 * connections, and wakes the benchmark thread once a target count has arrived. Shared by every
 * client channel; any thread may read the count.
 */
@ChannelHandler.Sharable
final class SinkClient extends ChannelInboundHandlerAdapter {

    private final AtomicLong received = new AtomicLong();
    private volatile long target = Long.MAX_VALUE;
    private volatile Thread waiter;

    long received() {
        return received.get();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            long now = received.addAndGet(buf.readableBytes());
            if (now >= target) {
                Thread w = waiter;
                if (w != null) {
                    LockSupport.unpark(w);
                }
            }
        }
        ReferenceCountUtil.release(msg);
    }

    /** Parks the calling thread until {@code bytes} have arrived in total. */
    void awaitTotal(long bytes, long timeoutSeconds) {
        if (received.get() >= bytes) {
            return;
        }
        waiter = Thread.currentThread();
        target = bytes;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        try {
            while (received.get() < bytes) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("sink got " + received.get() + " of " + bytes
                            + " bytes: frames were dropped or a connection stalled");
                }
                LockSupport.parkNanos(this, 1_000_000);
            }
        } finally {
            target = Long.MAX_VALUE;
            waiter = null;
        }
    }

    /** Waits until nothing has arrived for {@code quietMillis}. */
    void awaitQuiet(long quietMillis) throws InterruptedException {
        long last = -1;
        while (received.get() != last) {
            last = received.get();
            Thread.sleep(quietMillis);
        }
    }
}
