package io.lightd.protocol;

import java.util.Objects;

/** What decoding one inbound text frame gives: an event, or the error text to send back to that client. */
public sealed interface DecodeResult {

    record Decoded(InboundEvent event) implements DecodeResult {
        public Decoded {
            Objects.requireNonNull(event, "event");
        }
    }

    /** {@code message} is the whole user-facing text, already starting with {@code Error: }. */
    record Invalid(String message) implements DecodeResult {
        public Invalid {
            Objects.requireNonNull(message, "message");
        }
    }
}
