package io.lightd.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lightd.runtime.ContainerSpec;
import io.lightd.runtime.ExitReport;
import io.lightd.runtime.RecordingListener;
import io.lightd.runtime.StopSignal;
import io.netty.channel.DefaultEventLoop;
import io.netty.util.concurrent.EventExecutor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The scripted runtime does what the tests and benchmarks that drive it count on. */
class ScriptedRuntimeTest {

    private final EventExecutor loop = new DefaultEventLoop();

    @AfterEach
    void stopLoop() {
        loop.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static ContainerSpec spec(String id) {
        return new ContainerSpec(id, "none", "none", "stop", null, Map.of(), 0, 0, List.of());
    }

    /** Runs {@code task} on the loop and waits for it. */
    private void onLoop(Runnable task) {
        loop.submit(task).syncUninterruptibly();
    }

    @Test
    void aRunGetsWhatTheTestPlaysOnItsLoopAndEndsWithTheExit() throws Exception {
        ScriptedRuntime runtime = new ScriptedRuntime();
        RecordingListener listener = new RecordingListener(loop);
        assertThat(runtime.start(spec("c-1"), loop, listener)).isCompleted();
        assertThat(runtime.run("c-1").loop()).isSameAs(loop);
        assertThat(runtime.listRunning().join()).containsExactly("c-1");

        onLoop(() -> runtime.output("c-1", "hello\n"));
        onLoop(() -> runtime.exit("c-1", 3));

        assertThat(listener.text()).isEqualTo("hello\n");
        assertThat(listener.exit.get(5, TimeUnit.SECONDS)).isEqualTo(3);
        assertThat(listener.violations).isEmpty();
        assertThat(runtime.run("c-1")).isNull();
        assertThat(runtime.listRunning().join()).isEmpty();
        assertThatThrownBy(() -> runtime.output("c-1", "late")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void everyCallIsRecordedInOrder() {
        ScriptedRuntime runtime = new ScriptedRuntime();
        RecordingListener listener = new RecordingListener(loop);
        runtime.install(spec("c-1"), loop, listener).join();
        runtime.start(spec("c-1"), loop, listener).join();
        runtime.writeStdin("c-1", "say hi\n".getBytes(StandardCharsets.UTF_8)).join();
        runtime.stop("c-1", "stop", Duration.ofSeconds(1)).join();
        runtime.signal("c-1", StopSignal.SIGTERM).join();
        runtime.kill("c-1").join();
        runtime.remove("c-1").join();
        runtime.statsDemand("c-1", true);

        assertThat(runtime.calls()).containsExactly("install c-1", "start c-1", "stdin c-1", "stop c-1 stop",
                "signal c-1 SIGTERM", "kill c-1", "remove c-1");
        assertThat(new String(runtime.stdin().get(0), StandardCharsets.UTF_8)).isEqualTo("say hi\n");
        assertThat(runtime.statsDemands()).containsExactly("c-1:true");
        assertThat(runtime.run("c-1")).as("without exitWhenStopped the run goes on until exit").isNotNull();
    }

    @Test
    void exitWhenStoppedEndsTheRunOnItsLoop() throws Exception {
        ScriptedRuntime runtime = new ScriptedRuntime().exitWhenStopped();
        RecordingListener listener = new RecordingListener(loop);
        runtime.start(spec("c-1"), loop, listener).join();
        runtime.stop("c-1", "stop", Duration.ofSeconds(1)).join();

        assertThat(listener.exit.get(5, TimeUnit.SECONDS)).isZero();
        assertThat(listener.violations).as("onExit came on the run's loop").isEmpty();
        assertThat(runtime.run("c-1")).isNull();
        assertThat(runtime.listRunning().join()).isEmpty();
        runtime.kill("c-1").join();
        assertThat(listener.violations).as("no second exit").isEmpty();
    }

    @Test
    void scriptedFailuresFailTheFutureOrThrow() {
        ScriptedRuntime runtime = new ScriptedRuntime();
        RecordingListener listener = new RecordingListener(loop);
        IllegalStateException failure = new IllegalStateException("engine error 500");
        runtime.failStartWith(failure);
        assertThat(runtime.start(spec("c-1"), loop, listener)).isCompletedExceptionally();
        assertThat(runtime.run("c-1")).isNull();
        runtime.throwInsteadOfFailing(true);
        assertThatThrownBy(() -> runtime.start(spec("c-1"), loop, listener)).isSameAs(failure);
        runtime.failStartWith(null);
        assertThat(runtime.start(spec("c-1"), loop, listener)).isCompleted();

        runtime.failStopWith(failure);
        assertThatThrownBy(() -> runtime.signal("c-1", StopSignal.SIGINT)).isSameAs(failure);
        runtime.throwInsteadOfFailing(false);
        assertThat(runtime.stop("c-1", "stop", Duration.ofSeconds(1))).isCompletedExceptionally();
        runtime.failKillWith(failure);
        assertThat(runtime.kill("c-1")).isCompletedExceptionally();
        runtime.failInstallWith(failure);
        assertThat(runtime.install(spec("c-1"), loop, listener)).isCompletedExceptionally();
    }

    @Test
    void installAnswersAsScripted() throws Exception {
        ScriptedRuntime runtime = new ScriptedRuntime();
        RecordingListener listener = new RecordingListener(loop);
        runtime.installExitCode(2);
        runtime.installOutput("fetching...\n".getBytes(StandardCharsets.UTF_8));
        assertThat(runtime.install(spec("c-1"), loop, listener).join()).isEqualTo(2);
        assertThat(listener.text()).isEqualTo("fetching...\n");
        runtime.installHangs(true);
        assertThat(runtime.install(spec("c-1"), loop, listener)).isNotDone();
    }

    @Test
    void lastExitsAndSilentVanishingsAreWhatTheTestSays() {
        ScriptedRuntime runtime = new ScriptedRuntime();
        ExitReport report = new ExitReport(137, true, Instant.parse("2026-01-01T00:00:00Z"));
        runtime.reportLastExit("c-1", report);
        assertThat(runtime.lastExit("c-1").join()).contains(report);
        assertThat(runtime.lastExit("c-2").join()).isEqualTo(Optional.empty());

        runtime.start(spec("c-3"), loop, new RecordingListener(loop)).join();
        runtime.vanishSilently("c-3");
        assertThat(runtime.listRunning().join()).isEqualTo(Set.of());
        assertThat(runtime.calls()).containsExactly("lastExit c-1", "lastExit c-2", "start c-3");
    }
}
