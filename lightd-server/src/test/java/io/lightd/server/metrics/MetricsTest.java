package io.lightd.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.lightd.protocol.ActionOutcome;
import io.lightd.protocol.DecodeResult;
import io.lightd.protocol.PowerAction;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.DefaultEventLoopGroup;
import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MetricsTest {

    /** The console path bumps three counters per event; that must allocate nothing. */
    @Test
    void consoleCountersAllocateNothing() {
        Metrics metrics = new Metrics();
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        broadcast(metrics);
        long before = threads.getThreadAllocatedBytes(id);
        broadcast(metrics);
        long allocated = threads.getThreadAllocatedBytes(id) - before;
        assertThat(metrics.consoleEvents()).isEqualTo(2_000_000);
        assertThat(metrics.consoleMessages()).isEqualTo(6_000_000);
        assertThat(metrics.consoleBytes()).isEqualTo(6_000_000L * 120);
        assertThat(allocated).as("bytes allocated by 1,000,000 console events").isLessThan(1024);
    }

    /**
     * A registry that is not Prometheus's gets lightd's meters too, and the scrape still works from a
     * Prometheus registry lightd keeps beside it; close takes lightd's meters out of the host's registry.
     */
    @Test
    void aHostRegistryOfAnotherKindGetsTheMetersAndTheScrapeStillWorks() {
        SimpleMeterRegistry host = new SimpleMeterRegistry();
        Metrics metrics = new Metrics(host);
        DefaultEventLoopGroup loops = new DefaultEventLoopGroup(2);
        try {
            AtomicInteger sessions = new AtomicInteger(4);
            AtomicLong reopens = new AtomicLong(7);
            AtomicLong samples = new AtomicLong(1234);
            AtomicInteger subscribers = new AtomicInteger(2);
            AtomicLong disk = new AtomicLong(4096);
            // Method references made here and held only by lightd's meters, which must keep them
            // (Micrometer holds a gauge's or function counter's object weakly unless told otherwise).
            metrics.bindNode(sessions::get, () -> true, reopens::get, samples::get, loops, null);
            metrics.containerWatched("c-1", subscribers::get);
            metrics.diskUsageTracked("c-1", disk::get);
            metrics.powerAction(PowerAction.START, ActionOutcome.CONFLICT);
            metrics.inboundError(DecodeResult.Kind.INVALID_JSON);

            assertThat(host.get(Metrics.NAME_WEBSOCKET_SESSIONS).gauge().value()).isEqualTo(4.0);
            assertThat(host.get(Metrics.NAME_POWER_ACTIONS).tag("action", "start").tag("result", "conflict")
                    .counter().count()).isEqualTo(1.0);
            assertThat(host.get(Metrics.NAME_STREAM_REOPENS).functionCounter().count()).isEqualTo(7.0);
            assertThat(host.find("jvm.memory.used").gauges()).as("the JVM is the host's to bind").isEmpty();
            assertThat(metrics.scrape()).as("the JVM binders on lightd's own Prometheus registry")
                    .contains("\n# TYPE jvm_memory_used_bytes gauge\n");
            assertThat(host.get("netty.eventexecutor.tasks.pending").gauges()).as("the Netty binder").hasSize(2);
            System.gc();
            sessions.set(5);
            assertThat(metrics.scrape()).contains("\nlightd_websocket_sessions 5")
                    .contains("\nlightd_container_subscribers{container=\"c-1\"} 2")
                    .contains("\nlightd_container_disk_usage_bytes{container=\"c-1\"} 4096")
                    .contains("\nlightd_inbound_errors_total{kind=\"invalid_json\"} 1")
                    .contains("\nlightd_runtime_stream_reopens_total 7")
                    .contains("\nlightd_runtime_stats_samples_total 1234")
                    .contains("\nlightd_event_loop_pending_tasks{loop=\"1\"} 0");

            metrics.containerForgotten("c-1");
            metrics.diskUsageUntracked("c-1");
            assertThat(metrics.scrape()).doesNotContain("container=\"c-1\"");
        } finally {
            metrics.close();
            loops.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS);
        }
        assertThat(host.getMeters()).as("lightd's meters removed from the host's registry").isEmpty();
        assertThat(host.isClosed()).isFalse();
    }

    private static void broadcast(Metrics metrics) {
        for (int i = 0; i < 1_000_000; i++) {
            metrics.consoleBroadcast(3, 120);
        }
    }
}
