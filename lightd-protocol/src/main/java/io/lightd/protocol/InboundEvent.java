package io.lightd.protocol;

import java.util.Objects;
import java.util.OptionalInt;

/** An event a client sends over the WebSocket. The set is closed: these three are all there are. */
public sealed interface InboundEvent {

    /**
     * {@code {"event":"send_command","command":"..."}}: the command is written as-is to stdin.
     *
     * @param command the command text exactly as sent (no newline added here); at most the
     *                configured number of UTF-8 bytes once decoded by {@link InboundDecoder}
     */
    record SendCommand(String command) implements InboundEvent {
        /**
         * Checks the component.
         *
         * @param command the command text
         * @throws NullPointerException when {@code command} is null
         */
        public SendCommand {
            Objects.requireNonNull(command, "command");
        }
    }

    /**
     * {@code {"event":"power","action":"start|stop|kill|restart"}}.
     *
     * @param action the power action asked for
     */
    record Power(PowerAction action) implements InboundEvent {
        /**
         * Checks the component.
         *
         * @param action the power action
         * @throws NullPointerException when {@code action} is null
         */
        public Power {
            Objects.requireNonNull(action, "action");
        }
    }

    /**
     * {@code {"event":"request_logs","lines":N?}}: the history, optionally only its last N lines.
     *
     * @param lines how many of the newest history lines to send (a positive count, capped at
     *              {@link Integer#MAX_VALUE}), or empty for the whole history
     */
    record RequestLogs(OptionalInt lines) implements InboundEvent {
        /**
         * Checks the component.
         *
         * @param lines the line count, or empty for all
         * @throws NullPointerException when {@code lines} is null
         */
        public RequestLogs {
            Objects.requireNonNull(lines, "lines");
        }

        /**
         * A request for the whole history, as {@code {"event":"request_logs"}} without {@code lines}.
         *
         * @return a request with empty {@code lines}
         */
        public static RequestLogs all() {
            return new RequestLogs(OptionalInt.empty());
        }
    }
}
