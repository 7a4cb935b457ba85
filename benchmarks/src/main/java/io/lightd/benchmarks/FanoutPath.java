package io.lightd.benchmarks;

import io.lightd.protocol.OutboundEvents;
import io.lightd.server.console.ConsoleAssembler;
import io.lightd.server.console.ConsoleHistory;
import io.lightd.server.console.ConsoleStream;
import io.lightd.server.fanout.SharedFrames;
import io.lightd.server.config.LightdConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One way of delivering a console chunk to a set of subscriber channels. {@code hub} is lightd's
 * real path ({@link io.lightd.server.hub.ContainerHub} through its runtime listener); the others run
 * the same assembler and history and differ only in how they encode, write and flush, so each
 * design choice can be compared with the real path in one run. {@link #emit} runs on the hub's loop
 * and does not release the chunk.
 */
abstract class FanoutPath {

    static final List<String> VARIANTS = List.of("hub", "naive", "encodePerSubscriber", "flushPerFrame",
            "preEncoded", "preEncodedPooled", "preEncodedPerLoop");

    abstract void emit(ByteBuf chunk);

    static FanoutPath of(String variant, HubFixture hub, List<Channel> channels) {
        return switch (variant) {
            case "hub" -> new Hub(hub, channels);
            case "naive" -> new Assembled(hub, channels) {
                @Override
                void fanOut(String text) {
                    for (Channel ch : subscribers) {
                        if (ch.isWritable()) {
                            ch.writeAndFlush(frame(OutboundEvents.console(text)));
                            ch.writeAndFlush(frame(OutboundEvents.consoleDuplicate(text)));
                        }
                    }
                }
            };
            case "encodePerSubscriber" -> new Assembled(hub, channels) {
                @Override
                void fanOut(String text) {
                    for (Channel ch : subscribers) {
                        if (ch.isWritable()) {
                            ch.write(frame(OutboundEvents.console(text)), ch.voidPromise());
                            ch.writeAndFlush(frame(OutboundEvents.consoleDuplicate(text)), ch.voidPromise());
                        }
                    }
                }
            };
            case "flushPerFrame" -> new Assembled(hub, channels) {
                @Override
                void fanOut(String text) {
                    TextWebSocketFrame console = frame(OutboundEvents.console(text));
                    TextWebSocketFrame duplicate = frame(OutboundEvents.consoleDuplicate(text));
                    try {
                        for (Channel ch : subscribers) {
                            if (ch.isWritable()) {
                                ch.writeAndFlush(console.retainedDuplicate(), ch.voidPromise());
                                ch.writeAndFlush(duplicate.retainedDuplicate(), ch.voidPromise());
                            }
                        }
                    } finally {
                        console.release();
                        duplicate.release();
                    }
                }
            };
            case "preEncoded" -> new PreEncoded(hub, channels, ByteBufAllocator.DEFAULT);
            case "preEncodedPooled" -> new PreEncoded(hub, channels, PooledByteBufAllocator.DEFAULT);
            case "preEncodedPerLoop" -> new PerLoop(hub, channels);
            default -> throw new IllegalArgumentException("unknown variant " + variant + "; one of " + VARIANTS);
        };
    }

    static TextWebSocketFrame frame(byte[] json) {
        return new TextWebSocketFrame(Unpooled.wrappedBuffer(json));
    }

    /** Writes both shared wire buffers to each writable channel, one flush per channel. */
    static void writeEach(Channel[] channels, ByteBuf console, ByteBuf duplicate) {
        for (Channel ch : channels) {
            if (ch.isWritable()) {
                ch.write(console.retainedDuplicate(), ch.voidPromise());
                ch.writeAndFlush(duplicate.retainedDuplicate(), ch.voidPromise());
            }
        }
    }

    /** lightd's real path: the chunk goes to the container's run listener, like runtime output. */
    private static final class Hub extends FanoutPath {
        private final HubFixture hub;

        Hub(HubFixture hub, List<Channel> channels) {
            this.hub = hub;
            channels.forEach(hub::subscribe);
            hub.sync();
        }

        @Override
        void emit(ByteBuf chunk) {
            hub.emit(chunk.retainedDuplicate());
        }
    }

    /** The hub's assembly and history steps, then a fan-out of the subclass's kind. */
    private abstract static class Assembled extends FanoutPath {
        final Channel[] subscribers;
        private final ConsoleAssembler assembler;
        private final ConsoleHistory history;

        Assembled(HubFixture hub, List<Channel> channels) {
            subscribers = channels.toArray(new Channel[0]);
            assembler = new ConsoleAssembler(hub.loop(), ConsoleStream.PARTIAL_LINE_FLUSH_MILLIS, TimeUnit.MILLISECONDS,
                    this::onText);
            LightdConfig.Limits limits = LightdConfig.Defaults.limits();
            history = new ConsoleHistory(limits.historyLines(), limits.historyBytes());
        }

        @Override
        void emit(ByteBuf chunk) {
            assembler.accept(chunk);
        }

        private void onText(String text) {
            history.append(text);
            fanOut(text);
        }

        abstract void fanOut(String text);
    }

    /** Pre-encoded wire bytes ({@link SharedFrames}, as the hub builds them), written to each channel in turn. */
    private static final class PreEncoded extends Assembled {
        private final ByteBufAllocator alloc;

        PreEncoded(HubFixture hub, List<Channel> channels, ByteBufAllocator alloc) {
            super(hub, channels);
            this.alloc = alloc;
        }

        @Override
        void fanOut(String text) {
            ByteBuf console = SharedFrames.text(alloc, OutboundEvents.console(text));
            ByteBuf duplicate = SharedFrames.text(alloc, OutboundEvents.consoleDuplicate(text));
            try {
                writeEach(subscribers, console, duplicate);
            } finally {
                console.release();
                duplicate.release();
            }
        }
    }

    /** Pre-encoded wire bytes, subscribers grouped by event loop: one task per loop per event. */
    private static final class PerLoop extends Assembled {
        private final EventLoop[] loops;
        private final Channel[][] groups;

        PerLoop(HubFixture hub, List<Channel> channels) {
            super(hub, channels);
            Map<EventLoop, List<Channel>> byLoop = new LinkedHashMap<>();
            for (Channel ch : channels) {
                byLoop.computeIfAbsent(ch.eventLoop(), l -> new ArrayList<>()).add(ch);
            }
            loops = byLoop.keySet().toArray(new EventLoop[0]);
            groups = byLoop.values().stream().map(l -> l.toArray(new Channel[0])).toArray(Channel[][]::new);
        }

        @Override
        void fanOut(String text) {
            ByteBuf console = SharedFrames.text(ByteBufAllocator.DEFAULT, OutboundEvents.console(text));
            ByteBuf duplicate = SharedFrames.text(ByteBufAllocator.DEFAULT, OutboundEvents.consoleDuplicate(text));
            try {
                for (int i = 0; i < loops.length; i++) {
                    Channel[] group = groups[i];
                    if (loops[i].inEventLoop()) {
                        writeEach(group, console, duplicate);
                    } else {
                        ByteBuf c = console.retain();
                        ByteBuf d = duplicate.retain();
                        loops[i].execute(() -> {
                            try {
                                writeEach(group, c, d);
                            } finally {
                                c.release();
                                d.release();
                            }
                        });
                    }
                }
            } finally {
                console.release();
                duplicate.release();
            }
        }
    }
}
