package io.lightd.server.hub;

/**
 * The answer to a power action or command, the same for WebSocket and REST: accepted, or refused
 * with a user-facing reason (without the {@code Error: } prefix) and the HTTP status REST gives it.
 * Immutable.
 *
 * @param accepted   whether the action was taken
 * @param error      the reason of a refusal (e.g. {@code not running}), or null when accepted
 * @param httpStatus the status REST answers with: 202 when accepted, else 404, 409 or the status
 *                   given to {@link #failed}
 */
public record ActionResult(boolean accepted, String error, int httpStatus) {

    private static final ActionResult OK = new ActionResult(true, null, 202);

    /**
     * The action was taken.
     *
     * @return the one accepted result (202)
     */
    public static ActionResult ok() {
        return OK;
    }

    /**
     * Refused because of the container's state (already running, installing...).
     *
     * @param error the reason for the user, without {@code Error: }
     * @return a refusal with status 409
     */
    public static ActionResult conflict(String error) {
        return new ActionResult(false, error, 409);
    }

    /**
     * Refused because there is no such container.
     *
     * @param error the reason for the user, without {@code Error: }
     * @return a refusal with status 404
     */
    public static ActionResult notFound(String error) {
        return new ActionResult(false, error, 404);
    }

    /**
     * Refused or failed for another reason, e.g. the runtime is unavailable (503).
     *
     * @param error      the reason for the user, without {@code Error: }
     * @param httpStatus the HTTP status REST answers with
     * @return a refusal with that status
     */
    public static ActionResult failed(String error, int httpStatus) {
        return new ActionResult(false, error, httpStatus);
    }
}
