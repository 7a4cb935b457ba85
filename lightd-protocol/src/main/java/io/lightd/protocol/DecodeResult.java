package io.lightd.protocol;

import java.util.Locale;
import java.util.Objects;

/** What decoding one inbound text frame gives: an event, or the error text to send back to that client. */
public sealed interface DecodeResult {

    /**
     * A well-formed frame.
     *
     * @param event the event the frame carries; never null
     */
    record Decoded(InboundEvent event) implements DecodeResult {
        /**
         * Checks the component.
         *
         * @param event the decoded event
         * @throws NullPointerException when {@code event} is null
         */
        public Decoded {
            Objects.requireNonNull(event, "event");
        }
    }

    /**
     * {@code message} is the whole user-facing text, already starting with {@code Error: };
     * {@code kind} is the closed class of the mistake, for counting without parsing the text.
     *
     * @param kind    what was wrong, as a metrics label
     * @param message the error text sent back to the client, e.g. {@code Error: missing "event"}
     */
    record Invalid(Kind kind, String message) implements DecodeResult {
        /**
         * Checks the components.
         *
         * @param kind    what was wrong
         * @param message the error text for the client
         * @throws NullPointerException when either is null
         */
        public Invalid {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(message, "message");
        }
    }

    /** The kinds of bad inbound frames; {@link #label()} is how metrics name them. */
    enum Kind {
        /** Not JSON, or more than one JSON value. */
        INVALID_JSON,
        /** JSON, but not an object. */
        NOT_AN_OBJECT,
        /** {@code event}, {@code command} or {@code action} is absent. */
        MISSING_FIELD,
        /** A field has the wrong JSON type. */
        WRONG_TYPE,
        /** An {@code event} name the protocol does not have. */
        UNKNOWN_EVENT,
        /** A power {@code action} the protocol does not have. */
        UNKNOWN_ACTION,
        /** A field of the right type with a value out of range ({@code lines} not a positive integer). */
        BAD_VALUE,
        /** A {@code command} longer than the configured limit. */
        COMMAND_TOO_LONG,
        /** A binary frame: the protocol speaks JSON text only. */
        BINARY_FRAME;

        /**
         * The metrics label of this kind.
         *
         * @return the lower-case constant name, e.g. {@code "unknown_event"}
         */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
