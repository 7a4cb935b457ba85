package io.lightd.server.fanout;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundInvoker;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.Socket;

/**
 * One subscriber of a container's hub as {@link Subscribers} reaches it: its channel, where shared
 * frames enter its pipeline, and where the console messages skipped for it are counted. A console
 * session is its own subscriber (no channel attribute, no lookup per frame); {@link #of} makes one
 * for a plain channel. The methods other than {@link #channel} are called on the channel's own loop.
 */
public interface Subscriber {

    /** The subscriber's connection. */
    Channel channel();

    /**
     * Where shared, already encoded frames enter this channel's pipeline, so they pass straight to
     * the socket without being encoded again: the WebSocket session's context (right behind the frame
     * encoder), or, once a close frame is on its way, the channel itself (whose session drops them).
     */
    ChannelOutboundInvoker frameWriter();

    /**
     * The connection's socket when shared frames may be sent straight to it, past the pipeline (see
     * {@link Subscribers}): an epoll connection without TLS whose session has not begun to close.
     * Null (the default) when every frame must go through {@link #frameWriter}. Channel loop.
     */
    default Socket directSocket() {
        return null;
    }

    /**
     * The socket of an epoll connection, or null for another transport (NIO, io_uring, an embedded
     * channel in tests). Says nothing of TLS: a caller with a TLS handler must not send past it.
     */
    static Socket epollSocket(Channel channel) {
        return channel instanceof EpollSocketChannel epoll && epoll.fd() instanceof Socket socket ? socket : null;
    }

    /** One console message was skipped for this subscriber, which was not writable. Channel loop. */
    void skipped();

    /**
     * A {@code stats} frame was dropped for this subscriber, which was not writable: what it last
     * got may be stale, and stats are sent only when they change, so it should be sent the latest
     * once it can take it (see {@code ContainerHub#resendStats}). Channel loop. Does nothing by default.
     */
    default void statsSkipped() {
    }

    /**
     * Whether the subscriber leaves the hub itself when its channel closes; the hub listens on the
     * close of a subscriber that does not.
     */
    default boolean leavesOnClose() {
        return false;
    }

    /** A plain channel as a subscriber: frames enter at its tail, skipped messages are not counted. */
    static Subscriber of(Channel channel) {
        return new ChannelSubscriber(channel, channel);
    }

    /**
     * A plain channel as a subscriber whose frames enter at {@code frameWriter}, a context of its
     * pipeline (its frame encoder's, as a session's do); skipped messages are not counted.
     */
    static Subscriber at(ChannelHandlerContext frameWriter) {
        return new ChannelSubscriber(frameWriter.channel(), frameWriter);
    }

    /** A plain channel and where frames enter it; the hub matches subscribers by their channel. */
    record ChannelSubscriber(Channel channel, ChannelOutboundInvoker frameWriter) implements Subscriber {

        @Override
        public void skipped() {
        }
    }
}
