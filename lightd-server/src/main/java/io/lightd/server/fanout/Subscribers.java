package io.lightd.server.fanout;

import io.lightd.protocol.OutboundEvents;
import io.lightd.server.metrics.Metrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelOutboundInvoker;
import io.netty.channel.unix.Socket;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.RejectedExecutionException;

/**
 * The subscribers watching one container ({@link Subscriber}: a channel, where frames enter it, where
 * its skipped messages are counted), and the one place where an outbound frame is built
 * ({@link SharedFrames}) and the console metrics are counted ({@link Metrics#consoleBroadcast},
 * {@link Metrics#framesDropped}, {@link Metrics#linesThrottled}): the hub hands it event JSON
 * ({@link #console}, {@link #stats}, {@link #event}, {@link #sendTo}) and never a frame.
 *
 * <p>The subscribers are grouped by the event loop their channel belongs to. A broadcast is one task per loop:
 * it writes the shared frames to that loop's channels and flushes each channel once, so a console
 * event costs one task hop per loop, not one per subscriber, and writes happen on the channel's own
 * thread where its writability is exact. A console event's two frames are one buffer, so each
 * subscriber costs one write. Where a subscriber offers its socket ({@link Subscriber#directSocket}:
 * epoll, no TLS, not closing) and nothing is queued for it, the buffer goes straight to the socket
 * with one {@code send}, past the pipeline (no duplicate, outbound entry or flush); what the kernel
 * does not take then queues in the pipeline behind it, so the bytes keep their order and the
 * channel's writability still counts them. On loopback the kernel's send is most of what a
 * delivered event costs; this leaves lightd's own share of it small. Membership changes only on the hub's loop; each loop's
 * task works on an immutable snapshot of its channels. The buckets are replaced, never changed,
 * too: a write that fails closes its channel, which leaves the hub on this very loop while a
 * broadcast is still going through the buckets. The count is volatile so a metrics scrape may read
 * it from any thread.
 */
public final class Subscribers {

    /** The subscribers of one event loop, replaced (never changed) when membership changes. */
    private static final class Bucket {
        final EventExecutor loop;
        Subscriber[] channels = new Subscriber[0];

        Bucket(EventExecutor loop) {
            this.loop = loop;
        }
    }

    /** Shared frames come from the pooled allocator, whose duplicates are recycled rather than allocated. */
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    private Bucket[] buckets = new Bucket[0];
    private final Metrics metrics;
    /** Written on the hub loop only. */
    private volatile int size;

    /** @param metrics counts console events, messages, bytes and dropped frames */
    public Subscribers(Metrics metrics) {
        this.metrics = metrics;
    }

    /** True when no channel watches; any thread (a moment's snapshot). */
    public boolean isEmpty() {
        return size == 0;
    }

    /** How many channels watch; any thread (a moment's snapshot). */
    public int size() {
        return size;
    }

    /**
     * One console event: {@code console} and {@code console duplicate} frames of {@code text} to
     * every subscriber, each dropped for a channel that is not writable (and counted on it). Counts
     * the event, its messages and bytes. Nothing is built without subscribers. Hub loop only.
     */
    public void console(String text) {
        if (size == 0) {
            return;
        }
        ByteBuf frames = SharedFrames.texts(ALLOC, OutboundEvents.console(text), OutboundEvents.consoleDuplicate(text));
        metrics.consoleBroadcast(size, frames.readableBytes());
        broadcast(frames, 2, true, true);
    }

    /** Console lines the throttle kept from every subscriber: counted, nothing is sent. Hub loop only. */
    public void throttled(int lines) {
        metrics.linesThrottled(lines);
    }

    /**
     * A {@code stats} event (its encoded JSON) to every subscriber; dropped for a channel that is not
     * writable, without telling it (the next sample replaces it). Hub loop only.
     */
    public void stats(byte[] json) {
        if (size > 0) {
            broadcast(SharedFrames.text(ALLOC, json), 1, true, false);
        }
    }

    /** An event that is never dropped (state, daemon message; its encoded JSON) to every subscriber. Hub loop only. */
    public void event(byte[] json) {
        if (size > 0) {
            broadcast(SharedFrames.text(ALLOC, json), 1, false, false);
        }
    }

    /**
     * Events (encoded JSON) to one subscriber only, in order, then one flush: what a new subscriber
     * is told first, or a stats sample it waited for. {@code second} may be null. Never dropped; an
     * inactive channel gets nothing. Hub loop; the write hops to the channel's loop, behind any
     * broadcast already queued there.
     */
    public void sendTo(Subscriber subscriber, byte[] first, byte[] second) {
        EventExecutor loop = subscriber.channel().eventLoop();
        if (loop.inEventLoop()) {
            write(subscriber, first, second);
            return;
        }
        // Written on the channel's own loop: a context written and flushed from another thread
        // keeps a task object of its own for the connection's life.
        try {
            loop.execute(() -> write(subscriber, first, second));
        } catch (RejectedExecutionException shuttingDown) {
            // The channel's loop is going away, and the channel with it.
        }
    }

    private static void write(Subscriber subscriber, byte[] first, byte[] second) {
        if (!subscriber.channel().isActive()) {
            return;
        }
        ChannelOutboundInvoker out = subscriber.frameWriter();
        out.write(SharedFrames.text(ALLOC, first));
        if (second != null) {
            out.write(SharedFrames.text(ALLOC, second));
        }
        out.flush();
    }

    /** {@link #sendTo(Subscriber, byte[], byte[])} for a plain channel. Hub loop. */
    public void sendTo(Channel channel, byte[] first, byte[] second) {
        sendTo(Subscriber.of(channel), first, second);
    }

    /** Adds a plain channel ({@link Subscriber#of}); false if it is there already. Hub loop only. */
    public boolean add(Channel channel) {
        return add(Subscriber.of(channel));
    }

    /** Removes a channel, whichever subscriber it was added as; false if it was not there. Hub loop only. */
    public boolean remove(Channel channel) {
        return remove(Subscriber.of(channel));
    }

    /** Adds a subscriber; false if its channel is there already. Hub loop only. */
    public boolean add(Subscriber subscriber) {
        Channel channel = subscriber.channel();
        Bucket bucket = bucket(channel.eventLoop(), true);
        for (Subscriber s : bucket.channels) {
            if (s.channel() == channel) {
                return false;
            }
        }
        Subscriber[] grown = Arrays.copyOf(bucket.channels, bucket.channels.length + 1);
        grown[grown.length - 1] = subscriber;
        bucket.channels = grown;
        size++;
        return true;
    }

    /** Whether a subscriber of this one's channel is there. Hub loop only. */
    public boolean contains(Subscriber subscriber) {
        Channel channel = subscriber.channel();
        Bucket bucket = bucket(channel.eventLoop(), false);
        if (bucket != null) {
            for (Subscriber s : bucket.channels) {
                if (s.channel() == channel) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Removes a subscriber (matched by its channel); false if it was not there. Hub loop only. */
    public boolean remove(Subscriber subscriber) {
        Channel channel = subscriber.channel();
        Bucket bucket = bucket(channel.eventLoop(), false);
        if (bucket == null) {
            return false;
        }
        Subscriber[] old = bucket.channels;
        for (int i = 0; i < old.length; i++) {
            if (old[i].channel() == channel) {
                Subscriber[] shrunk = new Subscriber[old.length - 1];
                System.arraycopy(old, 0, shrunk, 0, i);
                System.arraycopy(old, i + 1, shrunk, i, old.length - i - 1);
                bucket.channels = shrunk;
                size--;
                if (shrunk.length == 0) {
                    removeBucket(bucket);
                }
                return true;
            }
        }
        return false;
    }

    /**
     * Sends {@code frames} (one buffer of {@code frameCount} complete frames, such as a console event's
     * {@code console} and {@code console duplicate}) to every subscriber, one write and one flush per
     * channel. Droppable frames are skipped for a channel that is not writable, and counted on it and
     * in the metrics (once per delivery task, not per channel). Takes ownership of the buffer. Hub
     * loop only.
     *
     * <p>Each loop's task gets the buffer itself, retained, not a duplicate: nobody moves its indices,
     * and a duplicate is made per channel only, where the channel's outbound buffer needs indices of
     * its own.
     */
    void broadcast(ByteBuf frames, int frameCount, boolean droppable, boolean countSkips) {
        try {
            for (Bucket bucket : buckets) {
                Subscriber[] channels = bucket.channels;
                frames.retain();
                if (bucket.loop.inEventLoop()) {
                    deliver(channels, frames, frameCount, droppable, countSkips);
                } else {
                    try {
                        bucket.loop.execute(() -> deliver(channels, frames, frameCount, droppable, countSkips));
                    } catch (RejectedExecutionException shuttingDown) {
                        frames.release();
                    }
                }
            }
        } finally {
            frames.release();
        }
    }

    /** Runs on the channels' own loop; releases the one reference of the buffer it was handed. */
    private void deliver(Subscriber[] channels, ByteBuf frames, int frameCount, boolean droppable,
                         boolean countSkips) {
        boolean tracked = isLeakTracked(frames);
        boolean direct = frames.hasMemoryAddress();
        int dropped = 0;
        try {
            for (Subscriber subscriber : channels) {
                if (!subscriber.channel().isActive()) {
                    continue;
                }
                if (droppable && !Delivery.admitDroppable(subscriber, countSkips)) {
                    if (!countSkips) {
                        // Only stats frames are dropped uncounted.
                        subscriber.statsSkipped();
                    }
                    dropped++;
                    continue;
                }
                Socket socket = direct ? subscriber.directSocket() : null;
                if (socket == null || !sendDirect(subscriber, socket, frames, tracked)) {
                    ChannelOutboundInvoker out = subscriber.frameWriter();
                    out.writeAndFlush(share(frames, tracked), out.voidPromise());
                }
            }
        } finally {
            frames.release();
            if (dropped > 0) {
                metrics.framesDropped(frameCount * dropped);
            }
        }
    }

    /**
     * Sends {@code frames} straight to the connection's socket when nothing is queued for it, so the
     * bytes cannot overtake earlier ones: one {@code send} and nothing else, where the pipeline costs
     * a duplicate, an outbound entry, a walk through the handlers and a flush. What the kernel does
     * not take now (its send buffer is full) goes through the pipeline as a slice, which queues it and
     * makes the channel unwritable as usual. False, having sent nothing, when something is queued or
     * the send fails: the pipeline then writes the whole, and meets and reports the same error.
     * Channel loop.
     */
    private static boolean sendDirect(Subscriber subscriber, Socket socket, ByteBuf frames, boolean tracked) {
        ChannelOutboundBuffer queued = subscriber.channel().unsafe().outboundBuffer();
        if (queued == null || !queued.isEmpty() || queued.totalPendingWriteBytes() != 0) {
            return false;
        }
        int start = frames.readerIndex();
        int end = frames.writerIndex();
        int sent;
        try {
            sent = socket.sendAddress(frames.memoryAddress(), start, end);
        } catch (IOException e) {
            return false;
        }
        if (start + sent < end) {
            ChannelOutboundInvoker out = subscriber.frameWriter();
            int from = start + sent;
            ByteBuf rest = tracked ? frames.slice(from, end - from).retain() : frames.retainedSlice(from, end - from);
            out.writeAndFlush(rest, out.voidPromise());
        }
        return true;
    }

    /**
     * True when the allocator handed out a leak-detecting wrapper for this frame (one allocation in
     * 128 at Netty's default level, every one in tests). Frames and pooled buffers are otherwise
     * unwrapped, so {@code unwrap()} tells the two apart without naming Netty's internal classes.
     */
    static boolean isLeakTracked(ByteBuf frame) {
        return frame.unwrap() != null;
    }

    /**
     * One channel's view of a shared frame. A retained duplicate of a leak-detecting wrapper is
     * tracked as a resource of its own, with a stack trace taken per subscriber, so a sampled frame
     * would cost N stack traces; a plain duplicate of it shares the frame's one tracker instead.
     * Untracked frames take the recycled retained duplicate, which allocates nothing.
     */
    private static ByteBuf share(ByteBuf frame, boolean tracked) {
        return tracked ? frame.duplicate().retain() : frame.retainedDuplicate();
    }

    private Bucket bucket(EventExecutor loop, boolean create) {
        for (Bucket b : buckets) {
            if (b.loop == loop) {
                return b;
            }
        }
        if (!create) {
            return null;
        }
        Bucket b = new Bucket(loop);
        Bucket[] grown = Arrays.copyOf(buckets, buckets.length + 1);
        grown[grown.length - 1] = b;
        buckets = grown;
        return b;
    }

    private void removeBucket(Bucket bucket) {
        Bucket[] shrunk = new Bucket[buckets.length - 1];
        int j = 0;
        for (Bucket b : buckets) {
            if (b != bucket) {
                shrunk[j++] = b;
            }
        }
        buckets = shrunk;
    }
}
