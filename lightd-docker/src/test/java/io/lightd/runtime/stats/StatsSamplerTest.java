package io.lightd.runtime.stats;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.lightd.protocol.Stats;
import io.lightd.runtime.RecordingListener;
import io.netty.channel.DefaultEventLoop;
import io.netty.util.concurrent.EventExecutor;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The batched sampler on a real event loop and executor: one batch per tick for every container due,
 * watched containers every tick, the others at the idle interval, a fresh sample at once for a
 * container that becomes watched, and nothing after unregistering. Waits only for the samples
 * themselves, with a generous deadline.
 */
class StatsSamplerTest {

    private static final Duration TICK = Duration.ofMillis(20);
    /** Far longer than any wait here: an idle container is sampled once (its first tick) in a test. */
    private static final Duration IDLE = Duration.ofMinutes(10);

    private final DefaultEventLoop tickLoop = new DefaultEventLoop();
    private final DefaultEventLoop containerLoop = new DefaultEventLoop();
    private final ExecutorService blocking = Executors.newFixedThreadPool(2);
    private final AtomicInteger batchesOpened = new AtomicInteger();
    private StatsSampler<Integer> sampler;

    @AfterEach
    void stop() throws InterruptedException {
        if (sampler != null) {
            sampler.close();
        }
        blocking.shutdownNow();
        tickLoop.shutdownGracefully(0, 0, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
        containerLoop.shutdownGracefully(0, 0, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }

    private StatsSampler<Integer> start() {
        sampler = new StatsSampler<>(tickLoop, blocking, TICK, IDLE, batchesOpened::incrementAndGet);
        return sampler;
    }

    /** Counts its samples and delivered samples; records the batch each sample was in. */
    private static final class Counting implements StatsSource<Integer> {
        final AtomicInteger sampled = new AtomicInteger();
        final AtomicInteger delivered = new AtomicInteger();

        @Override
        public Stats sample(Integer batch, long nowNanos) {
            sampled.incrementAndGet();
            return new Stats(0, sampled.get(), 0, 0, 0, 0, 0);
        }

        void register(StatsSampler<Integer> sampler, String id, EventExecutor loop) {
            sampler.register(id, this, loop, stats -> {
                assertThat(loop.inEventLoop()).isTrue();
                delivered.incrementAndGet();
            });
        }
    }

    /** {@code n} containers {@code c0}, {@code c1}, ..., watched, registered on {@code loop}. */
    private static List<Counting> watched(StatsSampler<Integer> s, int n, EventExecutor loop) {
        List<Counting> sources = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Counting source = new Counting();
            s.setWatched("c" + i, true);
            source.register(s, "c" + i, loop);
            sources.add(source);
        }
        return sources;
    }

    @Test
    void oneBatchPerTickSamplesEveryWatchedContainer() throws Exception {
        StatsSampler<Integer> s = start();
        List<Counting> sources = watched(s, 50, containerLoop);
        await(() -> sources.stream().allMatch(c -> c.delivered.get() >= 5));
        long samples = s.samples();
        long batches = s.batches();
        // 50 containers sampled together: about one batch per tick, never one per container.
        assertThat(batches).isLessThanOrEqualTo(samples / 50 + 2);
        // What a batch shares is opened once per batch, not once per container.
        assertThat(batchesOpened.get()).isLessThanOrEqualTo((int) s.batches() + 1);
    }

    @Test
    void eachBatchHandsALoopAllItsSamplesInOneTask() throws Exception {
        AtomicInteger handOffs = new AtomicInteger();
        DefaultEventLoop counted = new DefaultEventLoop() {
            @Override
            public void execute(Runnable task) {
                handOffs.incrementAndGet();
                super.execute(task);
            }
        };
        try {
            StatsSampler<Integer> s = start();
            List<Counting> sources = watched(s, 50, counted);
            await(() -> sources.stream().allMatch(c -> c.delivered.get() >= 5));
            int tasks = handOffs.get();
            // 50 containers on one loop: one task per batch wakes it, not one per container.
            assertThat(tasks).isLessThanOrEqualTo((int) s.batches());
            assertThat(s.samples()).isGreaterThanOrEqualTo(250);
        } finally {
            counted.shutdownGracefully(0, 0, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void anUnwatchedContainerIsSampledAtTheIdleIntervalAndAtOnceWhenWatched() throws Exception {
        StatsSampler<Integer> s = start();
        Counting watched = new Counting();
        Counting idle = new Counting();
        s.setWatched("watched", true);
        watched.register(s, "watched", containerLoop);
        idle.register(s, "idle", containerLoop);
        await(() -> watched.delivered.get() >= 20 && idle.delivered.get() >= 1);
        // First tick only: the idle interval (10 min) has not come round again.
        assertThat(idle.sampled.get()).isEqualTo(1);

        long batchesBefore = s.batches();
        s.setWatched("idle", true);
        await(() -> idle.delivered.get() >= 2);
        assertThat(s.batches()).isGreaterThan(batchesBefore);

        s.setWatched("idle", false);
        s.setWatched("watched", false);
        int idleNow = idle.sampled.get();
        int watchedNow = watched.sampled.get();
        // Another container's ticks pass; the two unwatched ones stay put (at most one batch was in flight).
        Counting third = new Counting();
        s.setWatched("third", true);
        third.register(s, "third", containerLoop);
        await(() -> third.delivered.get() >= 20);
        assertThat(idle.sampled.get()).isLessThanOrEqualTo(idleNow + 1);
        assertThat(watched.sampled.get()).isLessThanOrEqualTo(watchedNow + 1);
    }

    @Test
    void aConsoleOpenedAndClosedOverAndOverDoesNotMakeTheSamplerReadAtWill() throws Exception {
        ExecutorService one = Executors.newSingleThreadExecutor();
        Duration tick = Duration.ofMinutes(10);
        try (StatsSampler<Integer> s = new StatsSampler<>(tickLoop, one, tick, tick, batchesOpened::incrementAndGet)) {
            Counting source = new Counting();
            source.register(s, "c", containerLoop);
            s.setWatched("c", true);
            await(() -> source.delivered.get() == 1);
            for (int i = 0; i < 100; i++) {
                s.setWatched("c", false);
                s.setWatched("c", true);
            }
            // Another container's batch on the same single thread: every batch asked for before it has run.
            Counting barrier = new Counting();
            barrier.register(s, "barrier", containerLoop);
            s.setWatched("barrier", true);
            await(() -> barrier.delivered.get() == 1);
            assertThat(source.sampled.get()).as("the first watch sampled; the 100 after it, with a sample "
                    + "younger than a tick, did not").isEqualTo(1);
        } finally {
            one.shutdownNow();
        }
    }

    @Test
    void nothingIsDeliveredAfterUnregistering() throws Exception {
        StatsSampler<Integer> s = start();
        Counting source = new Counting();
        s.setWatched("c", true);
        source.register(s, "c", containerLoop);
        await(() -> source.delivered.get() >= 3);
        containerLoop.submit(() -> s.unregister("c", source)).get(10, TimeUnit.SECONDS);
        int delivered = source.delivered.get();
        Counting other = new Counting();
        s.setWatched("other", true);
        other.register(s, "other", containerLoop);
        await(() -> other.delivered.get() >= 10);
        assertThat(source.delivered.get()).isEqualTo(delivered);
        assertThat(s.size()).isEqualTo(1);
    }

    @Test
    void aContainerWhoseStatsCannotBeReadIsLoggedOnceAtWarn() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(StatsSampler.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        try {
            StatsSampler<Integer> s = start();
            AtomicInteger attempts = new AtomicInteger();
            s.setWatched("broken", true);
            s.register("broken", (batch, now) -> {
                attempts.incrementAndGet();
                throw new NoSuchFileException("/sys/fs/cgroup/broken/memory.current");
            }, containerLoop, stats -> { });
            await(() -> attempts.get() >= 5);
            List<ILoggingEvent> warnings = logged.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
            assertThat(warnings).hasSize(1);
            assertThat(warnings.get(0).getFormattedMessage())
                    .startsWith("broken: cannot read its stats")
                    .contains("memory.current");
            assertThat(warnings.get(0).getThrowableProxy()).isNull();
        } finally {
            logger.detachAppender(logged);
        }
    }

    /** Waits for {@code condition}, failing after a generous deadline. */
    private static void await(BooleanSupplier condition) throws InterruptedException {
        assertThat(RecordingListener.await(condition, Duration.ofSeconds(30))).as("condition within 30 s").isTrue();
    }
}
