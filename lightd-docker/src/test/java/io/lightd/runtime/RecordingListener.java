package io.lightd.runtime;

import io.lightd.protocol.Stats;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.util.concurrent.EventExecutor;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.BooleanSupplier;

/**
 * Records what a runtime reports for one run or install, releasing every buffer, and notes each call
 * that breaks the contract: made off the expected event loop, made after {@code onExit}, or a second
 * {@code onExit}. Thread-safe: the runtime calls it on the loop, the test reads it from its own thread.
 */
public final class RecordingListener implements RuntimeListener, InstallListener {

    public final CompletableFuture<Integer> exit = new CompletableFuture<>();
    public final BlockingQueue<Stats> stats = new LinkedBlockingQueue<>();
    public final List<String> progress = new CopyOnWriteArrayList<>();
    public final List<String> violations = new CopyOnWriteArrayList<>();
    /** The output as it was when onExit came. */
    public volatile String outputAtExit;

    private final EventExecutor loop;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();

    public RecordingListener(EventExecutor loop) {
        this.loop = loop;
    }

    @Override
    public void onOutput(ByteBuf chunk) {
        try {
            check("onOutput");
            byte[] bytes = ByteBufUtil.getBytes(chunk);
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
        outputAtExit = text();
        if (!exit.complete(exitCode)) {
            violations.add("onExit called twice");
        }
    }

    @Override
    public void onProgress(String message) {
        check("onProgress");
        progress.add(message);
    }

    public byte[] bytes() {
        synchronized (output) {
            return output.toByteArray();
        }
    }

    public String text() {
        return new String(bytes(), StandardCharsets.UTF_8);
    }

    /** Waits (bounded) until the output contains {@code text}; returns whether it did. */
    public boolean awaitOutput(String text, Duration timeout) throws InterruptedException {
        return await(() -> text().contains(text), timeout);
    }

    /** Waits (bounded) for a condition; returns whether it came true. */
    public static boolean await(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    private void check(String call) {
        if (!loop.inEventLoop()) {
            violations.add(call + " on thread " + Thread.currentThread().getName() + ", not on the given loop");
        }
        if (exit.isDone()) {
            violations.add(call + " after onExit");
        }
    }
}
