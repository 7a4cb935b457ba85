package io.lightd.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PrometheusTextTest {

    @Test
    void writesFamiliesAndSamplesWithEscapedLabelValuesAndHelp() {
        String text = new PrometheusText()
                .family("x_total", "counter", "Counts \\ things\nacross lines \"quoted\".")
                .sample("x_total", 3)
                .sample("x_total", "container", "a\"b\\c\nd", 4)
                .sample("x_total", "action", "start", "result", "accepted", 5)
                .toString();
        assertThat(text).isEqualTo("""
                # HELP x_total Counts \\\\ things\\nacross lines "quoted".
                # TYPE x_total counter
                x_total 3
                x_total{container="a\\"b\\\\c\\nd"} 4
                x_total{action="start",result="accepted"} 5
                """);
    }
}
