package io.lightd.runtime.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.concurrent.DefaultEventExecutor;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pump's hand-off to a loop that is busy: whatever the process wrote meanwhile reaches the
 * listener as one chunk, in order, and what waits for the loop is bounded.
 */
class OutputPumpTest {

    @TempDir
    Path dir;
    private final DefaultEventExecutor loop = new DefaultEventExecutor();
    private final CountDownLatch loopBusy = new CountDownLatch(1);
    private final List<byte[]> chunks = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        loopBusy.countDown();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }

    /** Reads that return the given pieces one by one, then wait for {@link #end} before the end of stream. */
    private static final class ScriptedOutput extends InputStream {
        private final List<byte[]> pieces;
        private int next;
        /** How much of {@code pieces.get(next)} earlier reads took (a read takes at most what it asks for). */
        private int pieceOffset;
        /** The length each read asked for, in order. */
        final List<Integer> requests = new CopyOnWriteArrayList<>();
        volatile int reads;
        final CountDownLatch allRead = new CountDownLatch(1);
        final CountDownLatch end = new CountDownLatch(1);

        ScriptedOutput(List<byte[]> pieces) {
            this.pieces = pieces;
        }

        @Override
        public int read() {
            throw new UnsupportedOperationException();
        }

        @Override
        public int read(byte[] b, int off, int len) {
            requests.add(len);
            if (next < pieces.size()) {
                byte[] piece = pieces.get(next);
                int n = Math.min(len, piece.length - pieceOffset);
                System.arraycopy(piece, pieceOffset, b, off, n);
                pieceOffset += n;
                if (pieceOffset == piece.length) {
                    next++;
                    pieceOffset = 0;
                }
                reads++;
                return n;
            }
            allRead.countDown();
            try {
                end.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return -1;
        }
    }

    private OutputPump pump(InputStream in) {
        return new OutputPump("pump-test", in, new OutputLog(dir.resolve("out.log"), 1 << 24),
                PooledByteBufAllocator.DEFAULT, loop, chunk -> {
                    try {
                        byte[] bytes = new byte[chunk.readableBytes()];
                        chunk.readBytes(bytes);
                        chunks.add(bytes);
                    } finally {
                        chunk.release();
                    }
                });
    }

    private void blockLoop() throws InterruptedException {
        CountDownLatch running = new CountDownLatch(1);
        loop.execute(() -> {
            running.countDown();
            try {
                loopBusy.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
    }

    /** Waits (up to a failure deadline) until the loop has run everything queued so far. */
    private void drainLoop() throws Exception {
        loop.submit(() -> { }).get(10, TimeUnit.SECONDS);
    }

    @Test
    void outputReadWhileTheLoopIsBusyReachesTheListenerAsOneChunkInOrder() throws Exception {
        List<byte[]> lines = new ArrayList<>();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int i = 0; i < 200; i++) {
            byte[] line = ("seq=" + i + " h\u00e9llo\n").getBytes(StandardCharsets.UTF_8);
            lines.add(line);
            all.write(line);
        }
        ScriptedOutput out = new ScriptedOutput(lines);
        blockLoop();
        Thread pumpThread = new Thread(pump(out)::run, "pump-test");
        pumpThread.start();
        assertThat(out.allRead.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(chunks).isEmpty();

        loopBusy.countDown();
        drainLoop();
        assertThat(chunks).hasSize(1);
        assertThat(chunks.get(0)).isEqualTo(all.toByteArray());

        out.end.countDown();
        pumpThread.join(10_000);
        assertThat(pumpThread.isAlive()).isFalse();
    }

    @Test
    void tricklingOutputIsReadWithSmallRequestsAndAFloodWithWholeChunks() throws Exception {
        List<byte[]> pieces = new ArrayList<>();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int i = 0; i < 5; i++) {
            pieces.add(("line " + i + "\n").getBytes(StandardCharsets.UTF_8));
        }
        byte[] flood = new byte[3 * OutputPump.CHUNK_SIZE];
        java.util.Arrays.fill(flood, (byte) 'x');
        pieces.add(flood);
        pieces.add("after\n".getBytes(StandardCharsets.UTF_8));
        for (byte[] piece : pieces) {
            all.write(piece);
        }
        ScriptedOutput out = new ScriptedOutput(pieces);
        Thread pumpThread = new Thread(pump(out)::run, "pump-test");
        pumpThread.start();
        assertThat(out.allRead.await(10, TimeUnit.SECONDS)).isTrue();
        out.end.countDown();
        pumpThread.join(10_000);
        drainLoop();

        int small = OutputPump.SMALL_READ_BYTES;
        int chunk = OutputPump.CHUNK_SIZE;
        // Five lines, each read alone with a small request; the flood's first read brings a small
        // request's worth, so the next ones ask for whole chunks (the last of them brings the flood's
        // last 7 KiB) until one brings less (the last line); then small again, for the end of the stream.
        assertThat(out.requests).containsExactly(small, small, small, small, small, small, chunk, chunk, chunk, chunk,
                small);
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        for (byte[] c : chunks) {
            received.write(c);
        }
        assertThat(received.toByteArray()).isEqualTo(all.toByteArray());
    }

    @Test
    void thePumpStopsReadingWhileTooMuchWaitsForTheLoop() throws Exception {
        List<byte[]> pieces = new ArrayList<>();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        int pieceSize = OutputPump.CHUNK_SIZE;
        int count = 3 * OutputPump.MAX_PENDING_BYTES / pieceSize;
        for (int i = 0; i < count; i++) {
            byte[] piece = new byte[pieceSize];
            java.util.Arrays.fill(piece, (byte) ('a' + i % 26));
            pieces.add(piece);
            all.write(piece);
        }
        ScriptedOutput out = new ScriptedOutput(pieces);
        blockLoop();
        Thread pumpThread = new Thread(pump(out)::run, "pump-test");
        pumpThread.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (pumpThread.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(pumpThread.getState()).as("the pump waits for the loop").isEqualTo(Thread.State.WAITING);
        // The read that found the pending bytes at the bound is held; nothing after it was read. (The
        // first piece takes two reads: a small request, then a chunk's for the rest of it.)
        assertThat(out.reads).isEqualTo(OutputPump.MAX_PENDING_BYTES / pieceSize + 2);

        loopBusy.countDown();
        assertThat(out.allRead.await(10, TimeUnit.SECONDS)).isTrue();
        drainLoop();
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        for (byte[] c : chunks) {
            received.write(c);
        }
        assertThat(received.toByteArray()).isEqualTo(all.toByteArray());
        assertThat(chunks.size()).isLessThan(count);
        out.end.countDown();
        pumpThread.join(10_000);
    }
}
