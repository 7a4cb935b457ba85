package io.lightd.server.hub;

import io.lightd.protocol.ActionOutcome;
import java.util.Objects;

/**
 * The answer to a power action, command or reinstall, the same for WebSocket and REST: its
 * {@link ActionOutcome}, and for a refusal a user-facing reason (without the {@code Error: } prefix).
 * How an outcome is told (an HTTP status, a daemon message, silence) is each API's business.
 *
 * @param outcome accepted, or why not; never null
 * @param error   the reason for a refusal; null when accepted
 */
public record ActionResult(ActionOutcome outcome, String error) {

    private static final ActionResult OK = new ActionResult(ActionOutcome.ACCEPTED, null);

    /** Checks that an accepted answer has no error and a refusal has one. */
    public ActionResult {
        Objects.requireNonNull(outcome, "outcome");
        if ((outcome == ActionOutcome.ACCEPTED) != (error == null)) {
            throw new IllegalArgumentException("an accepted answer has no error, a refusal has one: "
                    + outcome + " " + error);
        }
    }

    /** True when the action was carried out or is under way. */
    public boolean accepted() {
        return outcome == ActionOutcome.ACCEPTED;
    }

    /** The accepted answer (one shared instance). */
    public static ActionResult ok() {
        return OK;
    }

    /** Refused in the container's current state, for {@code error}. */
    public static ActionResult conflict(String error) {
        return new ActionResult(ActionOutcome.CONFLICT, error);
    }

    /** Refused: no container has this id. */
    public static ActionResult notFound(String error) {
        return new ActionResult(ActionOutcome.NOT_FOUND, error);
    }

    /** Refused: the container runtime cannot be reached. */
    public static ActionResult unavailable(String error) {
        return new ActionResult(ActionOutcome.UNAVAILABLE, error);
    }

    /** The runtime was asked and failed, for {@code error}. */
    public static ActionResult failed(String error) {
        return new ActionResult(ActionOutcome.FAILED, error);
    }
}
