package io.lightd.protocol;

import java.util.Objects;
import java.util.OptionalInt;

/** An event a client sends over the WebSocket. The set is closed: these three are all there are. */
public sealed interface InboundEvent {

    /** {@code {"event":"send_command","command":"..."}}: the command is written as-is to stdin. */
    record SendCommand(String command) implements InboundEvent {
        public SendCommand {
            Objects.requireNonNull(command, "command");
        }
    }

    /** {@code {"event":"power","action":"start|stop|kill|restart"}}. */
    record Power(PowerAction action) implements InboundEvent {
        public Power {
            Objects.requireNonNull(action, "action");
        }
    }

    /** {@code {"event":"request_logs","lines":N?}}: the history, optionally only its last N lines. */
    record RequestLogs(OptionalInt lines) implements InboundEvent {
        public RequestLogs {
            Objects.requireNonNull(lines, "lines");
        }

        public static RequestLogs all() {
            return new RequestLogs(OptionalInt.empty());
        }
    }
}
