package io.lightd.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.Test;

/** Proves the leak check can fail: a deliberately dropped buffer is reported. */
class LeakCheckExtensionTest {

    @Test
    void aDroppedBufferIsReported() {
        assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
        leakOne();
        AssertionError error = null;
        for (int attempt = 0; attempt < 20 && error == null; attempt++) {
            try {
                LeakCheckExtension.check("leak probe");
            } catch (AssertionError e) {
                error = e;
            }
        }
        assertThat(error).as("the leak check reported the dropped buffer").isNotNull();
        assertThat(error.getMessage()).contains("leak probe").contains("leak");
    }

    private static void leakOne() {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(16);
        buf.writeByte(1);
    }
}
