package io.lightd.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty reported a buffer leak while it ran. Leaks surface only after the
 * leaked buffer is collected and another buffer is tracked. After each test this only tracks a few
 * buffers, so a leak the collector has already found fails that very test; after each class it also
 * collects garbage (three full collections), so any leak of the class's tests fails the class at the
 * latest. Full collections after every test cost about half a second each, minutes over the suite.
 * Registered for every test by service loading.
 */
public final class LeakCheckExtension implements AfterEachCallback, AfterAllCallback {

    @Override
    public void afterEach(ExtensionContext context) {
        touchDetectors();
        report(context.getDisplayName());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        check(context.getDisplayName());
    }

    static void check(String where) {
        for (int i = 0; i < 3; i++) {
            System.gc();
            System.runFinalization();
            touchDetectors();
        }
        report(where);
    }

    /** Fails with the leaks reported since the last drain, naming {@code where}. */
    private static void report(String where) {
        List<String> leaks = LeakFailingDetector.drain();
        if (!leaks.isEmpty()) {
            throw new AssertionError("Netty reported " + leaks.size() + " leak(s) in " + where + ":\n"
                    + String.join("\n", leaks));
        }
    }

    /** Tracking a new buffer makes each detector poll its queue of collected, unreleased ones. */
    private static void touchDetectors() {
        for (int i = 0; i < 8; i++) {
            release(PooledByteBufAllocator.DEFAULT.directBuffer(8));
            release(PooledByteBufAllocator.DEFAULT.heapBuffer(8));
            release(UnpooledByteBufAllocator.DEFAULT.directBuffer(8));
            release(UnpooledByteBufAllocator.DEFAULT.heapBuffer(8));
        }
    }

    private static void release(ByteBuf buf) {
        buf.release();
    }
}
