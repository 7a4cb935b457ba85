package io.lightd.runtime.docker;

import io.lightd.protocol.Stats;
import io.lightd.runtime.InstallListener;
import io.lightd.runtime.RuntimeListener;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/**
 * Records what a runtime delivers, and every call that arrives off the expected loop or after
 * {@code onExit}. Releases each output chunk.
 */
final class RecordingListener implements RuntimeListener, InstallListener {

    private final EventExecutor loop;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    final List<Stats> stats = new CopyOnWriteArrayList<>();
    final List<String> progress = new CopyOnWriteArrayList<>();
    final List<String> violations = new CopyOnWriteArrayList<>();
    final CompletableFuture<Integer> exit = new CompletableFuture<>();
    /** The output as it was when onExit came. */
    volatile String outputAtExit;

    RecordingListener(EventExecutor loop) {
        this.loop = loop;
    }

    @Override
    public void onOutput(ByteBuf chunk) {
        try {
            check("onOutput");
            byte[] bytes = new byte[chunk.readableBytes()];
            chunk.readBytes(bytes);
            synchronized (output) {
                output.writeBytes(bytes);
            }
        } finally {
            chunk.release();
        }
    }

    @Override
    public void onStats(Stats sample) {
        check("onStats");
        stats.add(sample);
    }

    @Override
    public void onExit(int exitCode) {
        check("onExit");
        outputAtExit = output();
        if (!exit.complete(exitCode)) {
            violations.add("onExit called twice");
        }
    }

    @Override
    public void onProgress(String message) {
        check("onProgress");
        progress.add(message);
    }

    private void check(String call) {
        if (!loop.inEventLoop()) {
            violations.add(call + " on " + Thread.currentThread().getName() + ", not on the given loop");
        }
        if (exit.isDone()) {
            violations.add(call + " after onExit");
        }
    }

    String output() {
        synchronized (output) {
            return output.toString(StandardCharsets.UTF_8);
        }
    }

    /** Waits (bounded) until the output contains {@code text}; returns whether it did. */
    boolean awaitOutput(String text, Duration timeout) throws InterruptedException {
        return await(() -> output().contains(text), timeout);
    }

    static boolean await(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }
}
