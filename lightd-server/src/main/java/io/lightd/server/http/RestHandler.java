package io.lightd.server.http;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.lightd.protocol.InboundDecoder;
import io.lightd.protocol.JsonFields;
import io.lightd.protocol.ActionOutcome;
import io.lightd.protocol.PowerAction;
import io.lightd.runtime.ImageReference;
import io.lightd.server.auth.ConsoleScope;
import io.lightd.server.auth.Revocations;
import io.lightd.server.auth.TokenStore;
import io.lightd.server.credential.Tokens;
import io.lightd.server.http.message.BearerAuth;
import io.lightd.server.http.message.HttpResponses;
import io.lightd.server.http.message.RequestTarget;
import io.lightd.server.hub.ActionResult;
import io.lightd.server.hub.ContainerManager;
import io.lightd.server.hub.CreateRules;
import io.lightd.server.logging.FaultLog;
import io.lightd.server.record.ContainerRecord;
import io.lightd.server.record.InternalIds;
import io.lightd.server.store.StorageException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST routes (README.md: "A short session", "Tokens", "Server lifecycle"). Requests are answered
 * once their effect is durable (a created container or issued token is on disk first). A 401 counts
 * against the caller's address, and an address with too many recent failures gets 429 on every
 * authenticated route. Errors are {@code {"error": "..."}} with a fitting status. Stateless and
 * shared; futures may complete on other threads, and Netty moves the writes.
 */
public final class RestHandler {

    private static final Logger log = LoggerFactory.getLogger(RestHandler.class);
    private static final String CONTAINERS = "/containers";
    private static final String TOKENS = "/auth/tokens";
    private static final String REVOCATIONS = "/auth/revocations";

    private final TokenStore tokens;
    private final Revocations revocations;
    private final ContainerManager manager;
    private final BearerAuth auth;
    private final int maxCommandBytes;
    private final Clock clock;
    private final String version;
    /** Routes that fail with a lightd or runtime fault: one stack trace per distinct fault per minute. */
    private final FaultLog faults = new FaultLog(log);

    /**
     * Creates the REST routes; one instance serves every connection.
     *
     * @param tokens          issues and revokes console tokens
     * @param revocations     revokes signed tokens by {@code jti} or subject
     * @param manager         the containers
     * @param auth            admits the master token only
     * @param maxCommandBytes the most UTF-8 bytes a command may write to stdin (the same limit as the WebSocket's)
     * @param clock           the clock token expiries and times in answers are taken from
     * @param version         the daemon's version, answered by {@code /api/v1/public/ping}
     */
    public RestHandler(TokenStore tokens, Revocations revocations, ContainerManager manager, BearerAuth auth,
                       int maxCommandBytes, Clock clock, String version) {
        this.tokens = tokens;
        this.revocations = revocations;
        this.manager = manager;
        this.auth = auth;
        this.maxCommandBytes = maxCommandBytes;
        this.clock = clock;
        this.version = version;
    }

    /** Handles one request; the caller releases it afterwards. */
    void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        Exchange x = new Exchange(ctx, keepAlive, faults);
        // Routed on the raw path and decoded per segment, so an encoded slash or dot stays inside its
        // segment ("a%2Fb" is one bad id, not a container "a" and an action "b").
        RequestTarget target = RequestTarget.of(ctx.channel(), request);
        String path = target.rawPath();
        HttpMethod method = request.method();
        if (path.equals("/api/v1/public/ping")) {
            if (!method.equals(HttpMethod.GET)) {
                x.error(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed");
                return;
            }
            JsonObject o = new JsonObject();
            o.addProperty("status", "ok");
            o.addProperty("version", version);
            o.addProperty("runtime", manager.runtime().name());
            o.addProperty("runtime_available", manager.runtime().available());
            x.send(HttpResponseStatus.OK, o);
            return;
        }
        if (!path.equals(TOKENS) && !path.startsWith(TOKENS + "/") && !path.equals(CONTAINERS)
                && !path.startsWith(CONTAINERS + "/") && !path.equals(REVOCATIONS)) {
            x.error(HttpResponseStatus.NOT_FOUND, "no such route: " + path);
            return;
        }
        if (!auth.admit(ctx, request, keepAlive)) {
            return;
        }
        try {
            route(x, method, target, request);
        } catch (BadRequest e) {
            x.error(HttpResponseStatus.BAD_REQUEST, e.getMessage());
        }
    }

    private void route(Exchange x, HttpMethod method, RequestTarget target, FullHttpRequest request) {
        String path = target.rawPath();
        if (path.equals(TOKENS)) {
            requireMethod(x, method, HttpMethod.POST).ifPresent(ok -> issueToken(x, request));
            return;
        }
        if (path.equals(REVOCATIONS)) {
            requireMethod(x, method, HttpMethod.POST).ifPresent(ok -> revoke(x, request));
            return;
        }
        if (path.startsWith(TOKENS + "/")) {
            if (target.segments().size() != 3) {
                x.error(HttpResponseStatus.NOT_FOUND, "no such route: " + path);
                return;
            }
            String token = target.segments().get(2);
            requireMethod(x, method, HttpMethod.DELETE).ifPresent(ok -> revokeToken(x, token));
            return;
        }
        if (path.equals(CONTAINERS)) {
            if (method.equals(HttpMethod.GET)) {
                JsonArray list = new JsonArray();
                manager.registry().all().forEach(r -> list.add(r.toSummaryJson()));
                JsonObject o = new JsonObject();
                o.add("containers", list);
                x.send(HttpResponseStatus.OK, o);
            } else {
                requireMethod(x, method, HttpMethod.POST).ifPresent(ok -> create(x, request));
            }
            return;
        }
        List<String> parts = target.segments().subList(1, target.segments().size());
        String id = parts.get(0);
        if (!InternalIds.isValid(id)) {
            x.error(HttpResponseStatus.BAD_REQUEST, InternalIds.problem());
            return;
        }
        if (parts.size() > 2) {
            x.error(HttpResponseStatus.NOT_FOUND, "no such route: " + path);
            return;
        }
        if (parts.size() == 1) {
            if (method.equals(HttpMethod.GET)) {
                ContainerRecord r = manager.registry().get(id);
                if (r == null) {
                    x.error(HttpResponseStatus.NOT_FOUND, "unknown container " + id);
                } else {
                    JsonObject o = r.toJson();
                    o.addProperty("disk_usage", Math.max(0, manager.diskUsage(id)));
                    x.send(HttpResponseStatus.OK, o);
                }
            } else if (method.equals(HttpMethod.DELETE)) {
                boolean purge = target.parameters().getOrDefault("purge", List.of("false")).contains("true");
                delete(x, id, purge);
            } else {
                x.error(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed");
            }
            return;
        }
        String action = parts.get(1);
        if (!method.equals(HttpMethod.POST)) {
            x.error(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed");
            return;
        }
        switch (action) {
            case "command" -> {
                JsonObject body = jsonBody(request, true);
                JsonElement command = body.get("command");
                if (command == null || !command.isJsonPrimitive() || !((JsonPrimitive) command).isString()) {
                    throw new BadRequest("command must be a string");
                }
                String problem = InboundDecoder.commandProblem(command.getAsString(), maxCommandBytes);
                if (problem != null) {
                    throw new BadRequest(problem);
                }
                x.action(manager.command(id, command.getAsString()), "Command sent");
            }
            case "reinstall" -> {
                JsonObject body = jsonBody(request, false);
                String image = optionalString(body, "image");
                String script = optionalString(body, "install_script");
                if (image != null && image.isBlank()) {
                    throw new BadRequest("image must be a non-empty string");
                }
                if (image != null) {
                    String problem = ImageReference.problem(image);
                    if (problem != null) {
                        throw new BadRequest(problem);
                    }
                }
                x.action(manager.reinstall(id, image, script), "Reinstall started");
            }
            default -> {
                Optional<PowerAction> power = PowerAction.fromWireName(action);
                if (power.isEmpty()) {
                    x.error(HttpResponseStatus.NOT_FOUND, "no such route: " + path);
                    return;
                }
                x.action(manager.power(id, power.get()), "Power action " + action + " accepted");
            }
        }
    }

    private void issueToken(Exchange x, FullHttpRequest request) {
        JsonObject body = jsonBody(request, false);
        String ttlText = optionalString(body, "ttl");
        Duration ttl;
        try {
            ttl = Tokens.parseTtl(ttlText == null ? "15m" : ttlText);
        } catch (IllegalArgumentException e) {
            throw new BadRequest(e.getMessage());
        }
        JsonElement removeOnUse = body.get("remove_on_use");
        if (removeOnUse != null && !removeOnUse.isJsonNull()
                && !(removeOnUse.isJsonPrimitive() && ((JsonPrimitive) removeOnUse).isBoolean())) {
            throw new BadRequest("remove_on_use must be true or false");
        }
        boolean single = removeOnUse != null && !removeOnUse.isJsonNull() && removeOnUse.getAsBoolean();
        ConsoleScope scope;
        try {
            scope = ConsoleScope.fromJson(body.get("containers"), body.get("permissions"));
        } catch (IllegalArgumentException e) {
            throw new BadRequest(e.getMessage());
        }
        x.whenDone(tokens.issue(ttl, single, scope), issued -> {
            JsonObject o = new JsonObject();
            o.addProperty("token", issued.token());
            o.addProperty("expires_at", issued.expiresAt().toString());
            o.add("containers", issued.scope().containersJson());
            o.add("permissions", issued.scope().permissionsJson());
            log.info("token issued (ttl {}, single use {}, containers {}, permissions {})",
                    ttlText == null ? "15m" : ttlText, single,
                    scope.containers() == null ? "any" : scope.containers().size(), scope.permissionsJson());
            x.send(HttpResponseStatus.CREATED, o);
        });
    }

    private void revokeToken(Exchange x, String token) {
        x.whenDone(tokens.revoke(token), revoked -> {
            if (revoked) {
                log.info("token revoked");
                x.send(HttpResponseStatus.OK, HttpResponses.message("Token revoked"));
            } else {
                x.error(HttpResponseStatus.NOT_FOUND, "unknown token");
            }
        });
    }

    /**
     * {@code POST /auth/revocations}: {@code {"jti": "..."}} or {@code {"subject": "...",
     * "issued_before": "<RFC 3339>"}} (four-digit year; at most the clock skew ahead of now, else
     * 400); answered once the revocation is on disk and the live sessions
     * it matches are closing (4003).
     */
    private void revoke(Exchange x, FullHttpRequest request) {
        JsonObject body = jsonBody(request, true);
        String jti = optionalString(body, "jti");
        String subject = optionalString(body, "subject");
        String before = optionalString(body, "issued_before");
        if ((jti == null) == (subject == null)) {
            throw new BadRequest("give either jti, or subject with issued_before");
        }
        if (jti != null) {
            if (jti.isEmpty() || jti.length() > 256 || before != null) {
                throw new BadRequest(before != null ? "issued_before goes with subject, not jti"
                        : "jti must be 1 to 256 characters");
            }
            x.whenDone(revocations.revokeJti(jti), done -> {
                log.info("signed tokens revoked by jti");
                x.send(HttpResponseStatus.OK, HttpResponses.message("Revoked"));
            });
            return;
        }
        if (subject.isEmpty() || subject.length() > 256 || before == null) {
            throw new BadRequest(before == null ? "subject needs issued_before (RFC 3339)"
                    : "subject must be 1 to 256 characters");
        }
        Instant issuedBefore;
        try {
            issuedBefore = Rfc3339.parse(before);
        } catch (DateTimeParseException e) {
            throw new BadRequest("issued_before must be an RFC 3339 time, e.g. 2026-11-29T12:00:00Z");
        }
        if (issuedBefore.isAfter(revocations.latestIssuedBefore())) {
            throw new BadRequest("issued_before is in the future (more than authorization.jwt.clock_skew_seconds"
                    + " ahead): it would revoke tokens not issued yet");
        }
        x.whenDone(revocations.revokeSubject(subject, issuedBefore), done -> {
            log.info("signed tokens revoked by subject, issued before {}", issuedBefore);
            x.send(HttpResponseStatus.OK, HttpResponses.message("Revoked"));
        });
    }

    private void create(Exchange x, FullHttpRequest request) {
        ContainerRecord record;
        try {
            record = ContainerRecord.fromCreateBody(jsonBody(request, true), clock.instant());
            new CreateRules(manager.runtime().hostCpus()).check(record);
        } catch (IllegalArgumentException e) {
            throw new BadRequest(e.getMessage());
        }
        x.whenDone(manager.create(record), created -> {
            if (!created) {
                x.error(HttpResponseStatus.CONFLICT, "container " + record.internalId() + " already exists");
                return;
            }
            JsonObject o = new JsonObject();
            o.addProperty("message", "Container creation started");
            o.addProperty("internal_id", record.internalId());
            o.addProperty("state", "installing");
            x.send(HttpResponseStatus.ACCEPTED, o);
        });
    }

    private void delete(Exchange x, String id, boolean purge) {
        CompletableFuture<Boolean> deleted = manager.delete(id).thenCompose(done -> !done || !purge
                ? CompletableFuture.completedFuture(done)
                : manager.purgeVolume(id).thenApply(ignored -> true));
        x.whenDone(deleted, done -> {
            if (done) {
                x.send(HttpResponseStatus.OK, HttpResponses.message(purge ? "Container deleted and volume purged"
                        : "Container deleted"));
            } else {
                x.error(HttpResponseStatus.NOT_FOUND, "unknown container " + id);
            }
        });
    }

    private static Optional<Boolean> requireMethod(Exchange x, HttpMethod actual, HttpMethod expected) {
        if (actual.equals(expected)) {
            return Optional.of(true);
        }
        x.error(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed");
        return Optional.empty();
    }

    private static JsonObject jsonBody(FullHttpRequest request, boolean required) {
        String text = request.content().toString(StandardCharsets.UTF_8);
        if (text.isBlank()) {
            if (required) {
                throw new BadRequest("a JSON body is required");
            }
            return new JsonObject();
        }
        try {
            JsonElement e = JsonParser.parseString(text);
            if (!e.isJsonObject()) {
                throw new BadRequest("the body must be a JSON object");
            }
            return e.getAsJsonObject();
        } catch (JsonParseException | StackOverflowError e) {
            throw new BadRequest("the body is not valid JSON");
        }
    }

    private static String optionalString(JsonObject o, String key) {
        try {
            return JsonFields.optionalString(o, key);
        } catch (IllegalArgumentException e) {
            throw new BadRequest(e.getMessage());
        }
    }

    /** Bad client input; becomes a 400. */
    private static final class BadRequest extends RuntimeException {
        BadRequest(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The HTTP status an action's outcome is answered with, here and only here: 202 accepted, 409
     * refused in the container's state, 404 unknown id, 503 runtime unreachable, 500 failed otherwise.
     */
    static HttpResponseStatus httpStatus(ActionOutcome outcome) {
        return switch (outcome) {
            case ACCEPTED -> HttpResponseStatus.ACCEPTED;
            case CONFLICT -> HttpResponseStatus.CONFLICT;
            case NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
            case UNAVAILABLE -> HttpResponseStatus.SERVICE_UNAVAILABLE;
            case FAILED -> HttpResponseStatus.INTERNAL_SERVER_ERROR;
        };
    }

    /**
     * One request's way back: answers once, maps failures to 500/503; a failure that is a fault
     * (not the runtime or the disk being unavailable) goes to {@code faults}, which bounds how often it is written.
     */
    private record Exchange(ChannelHandlerContext ctx, boolean keepAlive, FaultLog faults) {

        void send(HttpResponseStatus status, JsonElement body) {
            HttpResponses.send(ctx, status, body, keepAlive);
        }

        void error(HttpResponseStatus status, String message) {
            HttpResponses.sendError(ctx, status, message, keepAlive);
        }

        void action(CompletableFuture<ActionResult> result, String acceptedMessage) {
            whenDone(result, r -> {
                if (r.accepted()) {
                    send(HttpResponseStatus.ACCEPTED, HttpResponses.message(acceptedMessage));
                } else {
                    error(httpStatus(r.outcome()), r.error());
                }
            });
        }

        <T> void whenDone(CompletableFuture<T> future, java.util.function.Consumer<T> onSuccess) {
            future.whenComplete((value, err) -> {
                if (err == null) {
                    onSuccess.accept(value);
                    return;
                }
                Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                if (cause instanceof io.lightd.runtime.RuntimeUnavailableException) {
                    error(HttpResponseStatus.SERVICE_UNAVAILABLE, "container runtime unavailable");
                } else if (cause instanceof StorageException s) {
                    // Logged with the file's path where the write failed; the client learns why, not where.
                    error(HttpResponseStatus.SERVICE_UNAVAILABLE, "storage unavailable: " + s.reason());
                } else {
                    faults.warn("request failed: " + cause, cause);
                    error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error: " + cause.getMessage());
                }
            });
        }
    }
}
