package io.lightd.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test (or its class) when Netty reported a buffer leak while it ran. Leaks surface only
 * after the leaked buffer is collected and another buffer is tracked, so this collects garbage and
 * allocates a few buffers before asking. Registered for every test by service loading.
 */
public final class LeakCheckExtension implements AfterEachCallback, AfterAllCallback {

    @Override
    public void afterEach(ExtensionContext context) {
        check(context.getDisplayName());
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
