package io.lightd.server.http;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.time.format.SignStyle;
import java.time.temporal.ChronoField;

/**
 * Reads an RFC 3339 {@code date-time} (section 5.6) strictly: a four-digit year, {@code T} and
 * {@code Z} in either case, an optional fraction of 1 to 9 digits, and an offset of {@code Z} or
 * {@code ±HH:MM}. {@link OffsetDateTime#parse} alone takes ISO 8601's expanded years too
 * ({@code +999999999-12-31T23:59:59Z}), which RFC 3339 does not have. A leap second ({@code :60})
 * is refused, as {@code java.time} has none. Stateless.
 */
public final class Rfc3339 {

    private static final DateTimeFormatter DATE_TIME = new DateTimeFormatterBuilder()
            .parseCaseInsensitive()
            .appendValue(ChronoField.YEAR, 4, 4, SignStyle.NOT_NEGATIVE)
            .appendLiteral('-')
            .appendValue(ChronoField.MONTH_OF_YEAR, 2)
            .appendLiteral('-')
            .appendValue(ChronoField.DAY_OF_MONTH, 2)
            .appendLiteral('T')
            .appendValue(ChronoField.HOUR_OF_DAY, 2)
            .appendLiteral(':')
            .appendValue(ChronoField.MINUTE_OF_HOUR, 2)
            .appendLiteral(':')
            .appendValue(ChronoField.SECOND_OF_MINUTE, 2)
            .optionalStart()
            .appendFraction(ChronoField.NANO_OF_SECOND, 1, 9, true)
            .optionalEnd()
            .appendOffset("+HH:MM", "Z")
            .toFormatter()
            .withResolverStyle(ResolverStyle.STRICT);

    private Rfc3339() {
    }

    /**
     * The instant {@code text} names.
     *
     * @param text a {@code date-time}, e.g. {@code 2026-01-31T12:00:00.5+02:00}; not null
     * @return the instant, the offset applied
     *
     * @throws DateTimeParseException when {@code text} is not an RFC 3339 {@code date-time}
     */
    public static Instant parse(String text) {
        return OffsetDateTime.parse(text, DATE_TIME).toInstant();
    }
}
