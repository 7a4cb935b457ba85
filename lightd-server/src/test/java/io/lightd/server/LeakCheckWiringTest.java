package io.lightd.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.lightd.testing.LeakFailingDetector;
import io.netty.buffer.ByteBuf;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import org.junit.jupiter.api.Test;

/** The server's tests run with paranoid leak detection and the detector whose reports fail the test. */
class LeakCheckWiringTest {

    @Test
    void paranoidLevelAndFailingDetectorAreInPlace() {
        assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
        assertThat(ResourceLeakDetectorFactory.instance().newResourceLeakDetector(ByteBuf.class))
                .isInstanceOf(LeakFailingDetector.class);
    }
}
