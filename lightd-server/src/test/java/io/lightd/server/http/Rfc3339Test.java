package io.lightd.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RFC 3339 date-times as section 5.6 has them, and nothing of ISO 8601's wider forms. */
class Rfc3339Test {

    @Test
    void readsEachFormRfc3339Allows() {
        assertThat(Rfc3339.parse("2026-11-29T12:00:00Z")).isEqualTo(Instant.parse("2026-11-29T12:00:00Z"));
        assertThat(Rfc3339.parse("2026-11-29t12:00:00z")).isEqualTo(Instant.parse("2026-11-29T12:00:00Z"));
        assertThat(Rfc3339.parse("2026-11-29T12:00:00.123456789+02:00"))
                .isEqualTo(Instant.parse("2026-11-29T10:00:00.123456789Z"));
        assertThat(Rfc3339.parse("2026-11-29T12:00:00.5-00:00")).isEqualTo(Instant.parse("2026-11-29T12:00:00.5Z"));
    }

    @Test
    void refusesExpandedYearsMissingOffsetsAndImpossibleDates() {
        for (String text : List.of("+999999999-12-31T23:59:59Z", "+2026-11-29T12:00:00Z", "12026-11-29T12:00:00Z",
                "-2026-11-29T12:00:00Z", "2026-11-29T12:00:00", "2026-11-29 12:00:00Z", "2026-11-29T12:00Z",
                "2026-02-30T12:00:00Z", "2026-11-29T12:00:00.Z", "2026-11-29T12:00:00.1234567891Z",
                "2026-11-29T12:00:00+0200", "2026-11-29")) {
            assertThatThrownBy(() -> Rfc3339.parse(text)).as(text).isInstanceOf(DateTimeParseException.class);
        }
    }
}
