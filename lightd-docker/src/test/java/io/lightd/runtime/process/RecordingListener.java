package io.lightd.runtime.process;

import io.lightd.protocol.Stats;
import io.lightd.runtime.InstallListener;
import io.lightd.runtime.RuntimeListener;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.util.concurrent.EventExecutor;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Records what a runtime reports for one run or install, releasing every buffer, and notes each call
 * that breaks the contract: made off the expected event loop, or made after {@code onExit}.
 * Thread-safe: the runtime calls it on the loop, the test reads it from its own thread.
 */
final class RecordingListener implements RuntimeListener, InstallListener {

    final CompletableFuture<Integer> exit = new CompletableFuture<>();
    final BlockingQueue<Stats> stats = new LinkedBlockingQueue<>();
    final List<String> progress = new CopyOnWriteArrayList<>();
    final List<String> violations = new CopyOnWriteArrayList<>();

    private final EventExecutor loop;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();

    RecordingListener(EventExecutor loop) {
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
        exit.complete(exitCode);
    }

    @Override
    public void onProgress(String message) {
        check("onProgress");
        progress.add(message);
    }

    byte[] bytes() {
        synchronized (output) {
            return output.toByteArray();
        }
    }

    String text() {
        return new String(bytes(), StandardCharsets.UTF_8);
    }

    private void check(String call) {
        if (!loop.inEventLoop()) {
            violations.add(call + " on thread " + Thread.currentThread().getName());
        }
        if (exit.isDone()) {
            violations.add(call + " after onExit");
        }
    }
}
