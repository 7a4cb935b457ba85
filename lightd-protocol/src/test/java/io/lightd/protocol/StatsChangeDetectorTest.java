package io.lightd.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StatsChangeDetectorTest {

    private static Stats cpu(double cpu) {
        return new Stats(cpu, 100, 1000, 1, 2, 3, 4);
    }

    @Test
    void firstSampleIsAlwaysSent() {
        assertThat(new StatsChangeDetector().offer(cpu(0))).isEqualTo(cpu(0));
    }

    @Test
    void equalAfterRoundingCpuToTwoDecimalsIsNotSent() {
        StatsChangeDetector detector = new StatsChangeDetector();
        assertThat(detector.offer(cpu(12.341))).isEqualTo(cpu(12.34));
        assertThat(detector.offer(cpu(12.344))).isNull();
        assertThat(detector.offer(cpu(12.336))).isNull();
        assertThat(detector.offer(cpu(12.346))).isEqualTo(cpu(12.35));
    }

    @Test
    void anyOtherFieldChangeIsSent() {
        StatsChangeDetector detector = new StatsChangeDetector();
        Stats base = new Stats(1, 2, 3, 4, 5, 6, 7);
        detector.offer(base);
        assertThat(detector.offer(new Stats(1, 2, 3, 4, 5, 6, 7))).isNull();
        assertThat(detector.offer(new Stats(1, 9, 3, 4, 5, 6, 7))).isNotNull();
        assertThat(detector.offer(new Stats(1, 9, 9, 4, 5, 6, 7))).isNotNull();
        assertThat(detector.offer(new Stats(1, 9, 9, 9, 5, 6, 7))).isNotNull();
        assertThat(detector.offer(new Stats(1, 9, 9, 9, 9, 6, 7))).isNotNull();
        assertThat(detector.offer(new Stats(1, 9, 9, 9, 9, 9, 7))).isNotNull();
        assertThat(detector.offer(new Stats(1, 9, 9, 9, 9, 9, 9))).isNotNull();
        assertThat(detector.offer(new Stats(1, 9, 9, 9, 9, 9, 9))).isNull();
    }

    @Test
    void resetSendsTheNextSampleEvenIfEqual() {
        StatsChangeDetector detector = new StatsChangeDetector();
        detector.offer(cpu(5));
        detector.reset();
        assertThat(detector.lastSent()).isNull();
        assertThat(detector.offer(cpu(5))).isEqualTo(cpu(5));
    }

    @Test
    void nonFiniteOrNegativeCpuIsZero() {
        assertThat(cpu(Double.NaN).rounded().cpuUsage()).isZero();
        assertThat(cpu(-1).rounded().cpuUsage()).isZero();
    }
}
