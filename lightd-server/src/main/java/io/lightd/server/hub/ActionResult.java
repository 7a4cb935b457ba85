package io.lightd.server.hub;

/**
 * The answer to a power action or command, the same for WebSocket and REST: accepted, or refused
 * with a user-facing reason (without the {@code Error: } prefix) and the HTTP status REST gives it.
 */
public record ActionResult(boolean accepted, String error, int httpStatus) {

    private static final ActionResult OK = new ActionResult(true, null, 202);

    public static ActionResult ok() {
        return OK;
    }

    public static ActionResult conflict(String error) {
        return new ActionResult(false, error, 409);
    }

    public static ActionResult notFound(String error) {
        return new ActionResult(false, error, 404);
    }

    public static ActionResult failed(String error, int httpStatus) {
        return new ActionResult(false, error, httpStatus);
    }
}
