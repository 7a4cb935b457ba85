package io.lightd.runtime.process;

import io.lightd.runtime.OutputListener;
import io.lightd.runtime.process.ProcessGroups.Signal;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A child process of the daemon that leads its own process group ({@code setsid}), with its merged
 * output pumped to a listener and to the container's output log: what an install and a run have in
 * common. The child holds its container's place in the runtime's table from before its launch until
 * its end has been reported, so one container never has two.
 *
 * <p>Its end follows Docker's rule for a container: when the leader exits, whatever is left of its
 * group is killed, as Docker kills what is left in a container whose main process exits, and the end
 * is reported once the output has ended and no member of the group is left. So nothing lingers out
 * of reach, and the next run of the container starts from nothing. The exit code is the leader's.
 *
 * <p>Threads: {@link #launch} runs once on the runtime's executor; the pump thread reads the output and
 * then ends the child; signals are sent from the runtime's executor; {@link #onEnded} and the
 * listener run on {@link #loop}. {@code process} is written once, before {@link #launched} completes.
 */
abstract class ChildProcess {

    private static final Logger logger = LoggerFactory.getLogger(ChildProcess.class);

    /** How long the end waits for the leftovers of a group to die after SIGKILL; they should at once. */
    private static final long LEFTOVERS_DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long LEFTOVERS_POLL_MILLIS = 10;
    /** How many times the holders of a finished child's output are looked for and killed. */
    private static final int OUTPUT_HOLDER_ROUNDS = 20;

    final String id;
    final EventExecutor loop;
    final BlockingExecutor blocking;

    /** Completes once the process runs; fails when it could not be started. */
    final CompletableFuture<Void> launched = new CompletableFuture<>();

    /**
     * Completes with the exit code once the end was reported on the loop (and the child left the
     * runtime's table); fails when the process could not be started.
     */
    final CompletableFuture<Integer> ended = new CompletableFuture<>();

    private final OutputListener listener;
    private final ConcurrentMap<String, ChildProcess> table;
    private volatile Process process;
    /**
     * The file key of the child's output (its pipe or terminal, {@link ProcessGroups#outputOf}), or
     * null when it could not be established for certain: then no writer to it is looked for.
     */
    private volatile Object output;

    ChildProcess(String id, EventExecutor loop, OutputListener listener, BlockingExecutor blocking,
                 ConcurrentMap<String, ChildProcess> table) {
        this.id = id;
        this.loop = loop;
        this.listener = listener;
        this.blocking = blocking;
        this.table = table;
    }

    /** "install" or "server", for logs. */
    abstract String kind();

    /** Right after the process started, before any output is read; on the launching thread. */
    abstract void afterStart(Process started);

    /** After the leader exited and the output ended, before the end is reported; on the pump thread. */
    abstract void afterExit(int exitCode);

    /** Reports the end, after the last output; on the loop, once. */
    abstract void onEnded(int exitCode);

    /**
     * Starts {@code command} in {@code workDir} with exactly {@code env}, stderr merged into stdout, and
     * a pump thread named {@code pumpThreadName}: on pipes, or on a new terminal when {@code terminal}
     * ({@link TerminalProcess}). Blocking; on the runtime's executor. When it throws, no process of it
     * is left running, and the caller {@linkplain #fail fails} the child.
     */
    final void launch(List<String> command, Path workDir, Map<String, String> env, OutputLog log,
                      ByteBufAllocator allocator, String pumpThreadName, boolean terminal) throws IOException {
        try {
            Process started;
            if (terminal) {
                started = TerminalProcess.start(command, workDir, env);
            } else {
                ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
                builder.environment().clear();
                builder.environment().putAll(env);
                started = builder.start();
            }
            process = started;
            output = ProcessGroups.outputOf(started.pid());
            started.onExit().thenRunAsync(this::killLeftovers, blocking);
            afterStart(started);
            OutputPump pump = new OutputPump(id, started.getInputStream(), log, allocator, loop, listener);
            Thread pumpThread = new Thread(() -> {
                pump.run();
                end(started, log);
            }, pumpThreadName);
            pumpThread.setDaemon(true);
            pumpThread.start();
            logger.info("container {}: {} process started (pid {}, output {})", id, kind(), started.pid(),
                    output == null ? "not traced" : "traced");
            launched.complete(null);
        } catch (Throwable t) {
            Process started = process;
            if (started != null) {
                started.destroyForcibly();
            }
            throw t;
        }
    }

    /** Ends a child that never ran a process. */
    final void fail(Throwable cause) {
        table.remove(id, this);
        launched.completeExceptionally(cause);
        ended.completeExceptionally(cause);
    }

    /** Ends a child that had nothing to run (an install without a script). */
    final void endWithoutProcess(int exitCode) {
        table.remove(id, this);
        launched.complete(null);
        ended.complete(exitCode);
    }

    /** The process group id, which is the leader's pid: {@code setsid} made it the group's leader. */
    final long processGroup() {
        return process.pid();
    }

    final boolean isAlive() {
        Process started = process;
        return started != null && started.isAlive();
    }

    /**
     * Signals the whole group once the process runs; completes when the signal was sent, or at once
     * when the process could not be started.
     */
    final CompletableFuture<Void> signalWhenLaunched(Signal signal) {
        return launched.handle((ok, failed) -> failed == null)
                .thenCompose(running -> running ? blocking.run(() -> signal(signal)) : CompletableFuture.completedFuture(null));
    }

    /** Signals the whole group; blocking. */
    final void signal(Signal signal) {
        Process started = process;
        if (output == null && started != null && started.isAlive()) {
            output = ProcessGroups.outputOf(started.pid()); // not established at the launch: long past it now
        }
        if (started == null || ProcessGroups.signal(List.of(started.pid()), signal) || !started.isAlive()) {
            return;
        }
        // No such group while the leader lives: setsid has not made it yet, and the leader has
        // no children yet either, so signalling the leader alone is enough.
        if (signal == Signal.KILL) {
            started.destroyForcibly();
        } else {
            started.destroy();
        }
    }

    /** Kills the leader at once, without the group; for the runtime's close, which kills groups itself. */
    final void destroyLeader() {
        Process started = process;
        if (started != null) {
            started.destroyForcibly();
        }
    }

    /**
     * Kills what is left of the group as soon as the leader exits: members that still hold the output
     * pipe would otherwise keep the pump from ever seeing its end. The leader is reaped by then, but
     * its pid stays reserved as the group's id while any member lives, so this cannot reach an
     * unrelated process. Usually the group is already empty, and nothing is sent.
     */
    private void killLeftovers() {
        long group = processGroup();
        if (ProcessGroups.countLiveMembers(group) > 0) {
            ProcessGroups.signal(List.of(group), Signal.KILL);
        }
        killOutputHolders();
    }

    /**
     * Kills the descendants that left the group (their own session, {@code setsid}) but still write
     * to the output (their stdout or stderr): they would keep the pump from its end, so the stop from ever completing and the
     * next start from being admitted. Found by the descriptor they hold, and signalled each by its
     * own pid (never a group this runtime did not create). A few rounds, for a holder that forked
     * while it was being killed. Descendants that closed or redirected their output cannot be found:
     * the process runtime does not contain them (it is for development only).
     */
    private void killOutputHolders() {
        Object target = output;
        if (target == null) {
            return;
        }
        for (int round = 0; round < OUTPUT_HOLDER_ROUNDS; round++) {
            List<Long> holders = ProcessGroups.writersTo(target);
            if (holders.isEmpty()) {
                return;
            }
            logger.info("container {}: killing {} process(es) outside its group that its {} left holding its output",
                    id, holders.size(), kind());
            for (long pid : holders) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            try {
                Thread.sleep(LEFTOVERS_POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Makes sure no member of the group outlives the end: the JVM may close the output pipe when the
     * leader exits, before {@link #killLeftovers} ran. There is no notification for a process group
     * becoming empty, so this polls {@code /proc}, briefly; only a group that had leftovers waits.
     */
    private void awaitNoLeftovers() {
        long group = processGroup();
        int left = ProcessGroups.countLiveMembers(group);
        if (left == 0) {
            return;
        }
        logger.info("container {}: killing {} process(es) its {} left behind", id, left, kind());
        ProcessGroups.signal(List.of(group), Signal.KILL);
        long deadline = System.nanoTime() + LEFTOVERS_DEADLINE_NANOS;
        while (ProcessGroups.countLiveMembers(group) > 0) {
            if (System.nanoTime() - deadline > 0) {
                logger.warn("container {}: processes of its group still alive after SIGKILL, reporting the exit anyway", id);
                return;
            }
            try {
                Thread.sleep(LEFTOVERS_POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void end(Process started, OutputLog log) {
        int exitCode = awaitExit(started);
        awaitNoLeftovers();
        try {
            log.closeFile();
        } catch (Exception e) {
            logger.debug("container {}: closing its output log failed: {}", id, e.toString());
        }
        logger.info("container {}: {} process exited with code {}", id, kind(), exitCode);
        afterExit(exitCode);
        try {
            loop.execute(() -> {
                table.remove(id, this);
                try {
                    onEnded(exitCode);
                } catch (Throwable t) {
                    logger.warn("container {}: exit listener failed", id, t);
                } finally {
                    ended.complete(exitCode);
                }
            });
        } catch (RejectedExecutionException e) {
            // The loop is gone, and with it whoever listened: still free the container's place.
            table.remove(id, this);
            ended.complete(exitCode);
        }
    }

    /**
     * The leader's exit code. Java reports a death by signal N as 128 + N, as shells do (see
     * {@code ProcessHandleImpl_unix.c}), so a kill shows as 137 and a SIGTERM as 143.
     */
    private static int awaitExit(Process started) {
        boolean interrupted = false;
        while (true) {
            try {
                int exitCode = started.waitFor();
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                return exitCode;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
    }
}
