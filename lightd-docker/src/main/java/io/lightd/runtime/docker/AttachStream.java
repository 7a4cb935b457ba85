package io.lightd.runtime.docker;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attach connection to a container, spoken directly on the server's loop: {@code POST
 * /containers/{name}/attach?stream=1&stdin=1&stdout=1&stderr=1&detachKeys=%FF} upgraded to a raw stream
 * ({@link AttachHandshakeHandler}), whose output is handed to a {@link Sink} in chunks: split out of
 * the engine's multiplexed frames ({@link MultiplexedStreamDecoder}) for a container without a TTY,
 * or as read for a container with one, whose output the engine sends raw. Stdin bytes are written to
 * the channel as they are, with or without a TTY.
 *
 * <p>Why not docker-java's attach: with stdin it starts one blocking thread per attached container
 * to copy an {@code InputStream} to the channel, and it waits on an untimed latch for the 101, so a
 * 404 hangs its caller for ever. Here an attach costs one channel and no thread, and every answer
 * but 101 fails the future.
 *
 * <p>Threads: the sink is called on the channel's loop, which is the loop passed to {@link #open}
 * when there is one. {@link #write} and {@link #close} may be called from any thread; writes keep
 * their call order.
 */
final class AttachStream {

    private static final Logger log = LoggerFactory.getLogger(AttachStream.class);

    /**
     * The {@code detachKeys} of every attach, URL-encoded: the one byte 0xFF. With a TTY the engine
     * watches stdin for its detach sequence ({@code ctrl-p,ctrl-q} when none is given, and an empty
     * value means that default too): it holds back a byte that starts the sequence until the next
     * write, and on the whole sequence drops it and ends the attach, so a command holding {@code
     * \x10\x11} would lose the rest and the console. There is no value that turns the watch off, so
     * lightd names a sequence its stdin never holds: everything written there is UTF-8 (commands,
     * the stop command, the terminal gate's newline), where the byte 0xFF cannot occur.
     */
    static final String NEVER_DETACH = "%FF";

    /** Receives the stream, on the channel's event loop. */
    interface Sink {
        /** A chunk of stdout or stderr; the sink owns it and must release it. */
        void onOutput(ByteBuf chunk);

        /** The stream has ended (after the last {@link #onOutput}); called once, only after a successful open. */
        void onEnd();
    }

    private final Channel channel;

    private AttachStream(Channel channel) {
        this.channel = channel;
    }

    /**
     * Connects on {@code loop} (any loop of the group when null), asks for the upgrade and completes
     * with the stream once the engine switched protocols. Fails with {@link EngineUnreachableException}
     * when no connection can be made, {@link io.lightd.runtime.ContainerNotFoundException} on 404, and
     * with a message naming the status or the timeout otherwise.
     */
    static CompletableFuture<AttachStream> open(EngineConnector connector, EngineClient engine, String containerName,
                                                String internalId, boolean stdin, EventLoop loop,
                                                Duration upgradeTimeout, Sink sink) {
        return open(connector, engine, containerName, internalId, stdin, true, loop, upgradeTimeout, sink);
    }

    /**
     * As {@link #open(EngineConnector, EngineClient, String, String, boolean, EventLoop, Duration, Sink)},
     * for a container whose output is {@code multiplexed} (created without a TTY) or raw (with one).
     */
    static CompletableFuture<AttachStream> open(EngineConnector connector, EngineClient engine, String containerName,
                                                String internalId, boolean stdin, boolean multiplexed, EventLoop loop,
                                                Duration upgradeTimeout, Sink sink) {
        String uri = engine.apiPath("/containers/" + containerName + "/attach?stream=1&stdout=1&stderr=1&stdin="
                + (stdin ? 1 : 0) + "&detachKeys=" + NEVER_DETACH);
        CompletableFuture<Void> upgraded = new CompletableFuture<>();
        CompletableFuture<AttachStream> result = new CompletableFuture<>();
        ChannelFuture connect = connector.connect(loop, null, new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(
                        new HttpClientCodec(),
                        new AttachHandshakeHandler(uri, connector.hostHeader(), internalId, upgradeTimeout, upgraded));
                if (multiplexed) {
                    ch.pipeline().addLast(new MultiplexedStreamDecoder());
                }
                ch.pipeline().addLast(new SinkHandler(sink, upgraded));
            }
        });
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(new EngineUnreachableException(connector.dockerHost(), f.cause()));
            }
        });
        upgraded.whenComplete((ok, error) -> {
            if (error != null) {
                result.completeExceptionally(error);
            } else {
                result.complete(new AttachStream(connect.channel()));
            }
        });
        return result;
    }

    /** Writes {@code data} to the container's stdin; completes when it was written to the socket. */
    CompletableFuture<Void> write(byte[] data) {
        CompletableFuture<Void> written = new CompletableFuture<>();
        channel.writeAndFlush(Unpooled.wrappedBuffer(data)).addListener(f -> {
            if (f.isSuccess()) {
                written.complete(null);
            } else {
                written.completeExceptionally(f.cause());
            }
        });
        return written;
    }

    boolean isOpen() {
        return channel.isActive();
    }

    EventLoop eventLoop() {
        return channel.eventLoop();
    }

    /** Closes the connection; the sink's {@link Sink#onEnd} follows on the channel's loop. */
    void close() {
        channel.close();
    }

    /** The last handler: hands chunks and the end of the stream to the sink. */
    private static final class SinkHandler extends ChannelInboundHandlerAdapter {
        private final Sink sink;
        private final CompletableFuture<Void> upgraded;

        SinkHandler(Sink sink, CompletableFuture<Void> upgraded) {
            this.sink = sink;
            this.upgraded = upgraded;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf chunk) {
                sink.onOutput(chunk);
            } else {
                io.netty.util.ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (upgraded.isDone() && !upgraded.isCompletedExceptionally()) {
                sink.onEnd();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.warn("attach stream {} failed, closing it: {}", ctx.channel(), cause.toString());
            ctx.close();
        }
    }
}
