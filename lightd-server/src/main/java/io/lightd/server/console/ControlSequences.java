package io.lightd.server.console;

import java.util.regex.Pattern;

/**
 * Removes terminal control sequences (ECMA-48, as xterm speaks them) from a line of console output, so
 * a start pattern matches the text a person sees, whether the program colours it or not: {@code
 * "\u001b[32mDone\u001b[0m (1.2s)!"} is searched as {@code "Done (1.2s)!"}.
 *
 * <p>Removed: CSI sequences ({@code ESC [} or the 8-bit {@code 0x9B}, parameter bytes {@code 0x30–0x3F},
 * intermediate bytes {@code 0x20–0x2F}, one final byte {@code 0x40–0x7E}: colours, cursor moves,
 * erasing), OSC sequences ({@code ESC ]} up to {@code BEL} or {@code ESC \}: window titles, links),
 * and the other escape sequences ({@code ESC}, intermediates, one final byte {@code 0x30–0x7E}:
 * character sets, keypad modes). Everything else is kept, other control characters included. Only
 * the copy used for matching is changed; console data and history stay as the program wrote them.
 *
 * <p>Stateless and thread-safe.
 */
final class ControlSequences {

    private static final Pattern SEQUENCE = Pattern.compile(
            "(?:\u001b\\[|\u009b)[0-?]*[ -/]*[@-~]"        // CSI
                    + "|\u001b\\][^\u0007\u001b]*(?:\u0007|\u001b\\\\)?" // OSC, to BEL or ST (or the line's end)
                    + "|\u001b[ -/]*[0-~]");                 // other escape sequences

    private ControlSequences() {
    }

    /** {@code line} without its terminal control sequences; {@code line} itself when it has none. */
    static CharSequence strip(CharSequence line) {
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\u001b' || c == '\u009b') {
                return SEQUENCE.matcher(line).replaceAll("");
            }
        }
        return line;
    }
}
