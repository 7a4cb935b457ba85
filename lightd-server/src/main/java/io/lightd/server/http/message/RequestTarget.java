package io.lightd.server.http.message;

import io.lightd.server.http.RequestRouter;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.AttributeKey;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The request-target of one request (RFC 9112 section 3.2), read and checked once, by the
 * {@link RequestRouter}, before any route sees the request. Accepted are the origin-form
 * ({@code /path?query}) and the absolute-form ({@code http://host/path?query}, taken as its path and
 * query, as RFC 9112 asks of a server). Refused, with one of the {@link Malformed} texts, is anything
 * a route could not read: another form ({@code *}, {@code host:port}), a fragment, a byte outside
 * visible ASCII, a {@code %} not followed by two hex digits, escapes that decode to bytes that are
 * not UTF-8 (path or query) or to a control character (path), and {@code .} or {@code ..} segments (no client that
 * follows RFC 3986 sends them, and resolving them would let one path name another route).
 *
 * <p>Once accepted, the target's path is known both raw ({@link #rawPath()}, to route on, so an
 * escaped {@code /} stays inside its segment) and decoded ({@link #path()}, {@link #segments()}),
 * and its query as decoded parameters; none of these can fail. The router attaches the target to
 * the channel for the request it routes; routes read it with {@link #of(Channel, HttpRequest)}.
 * Immutable and thread-safe.
 */
public final class RequestTarget {

    /** What {@link #parse} makes of a request-target: each outcome a named kind. */
    public sealed interface Result permits Valid, Malformed {
    }

    /**
     * A target every route can read.
     *
     * @param target the checked target
     */
    public record Valid(RequestTarget target) implements Result {
    }

    /**
     * A target no route can read; {@code problem} is the text of the 400 answer.
     *
     * @param problem the error text, e.g. {@code malformed request target: a fragment is not allowed}
     */
    public record Malformed(String problem) implements Result {

        static final Malformed NOT_A_PATH = new Malformed("malformed request target: not a path");
        static final Malformed FRAGMENT = new Malformed("malformed request target: a fragment is not allowed");
        static final Malformed BAD_CHARACTER =
                new Malformed("malformed request target: characters outside visible ASCII must be percent-encoded");
        static final Malformed BAD_ESCAPE =
                new Malformed("malformed request target: % must be followed by two hex digits");
        static final Malformed NOT_UTF8 = new Malformed("malformed request target: escapes are not UTF-8");
        static final Malformed CONTROL = new Malformed("malformed request target: escapes decode to a control character");
        static final Malformed DOT_SEGMENT = new Malformed("malformed request target: . and .. segments are not allowed");
    }

    private static final AttributeKey<RequestTarget> KEY = AttributeKey.valueOf(RequestTarget.class, "target");

    private final String originForm;
    private final String rawPath;
    private final String path;
    private final List<String> segments;
    private final Map<String, List<String>> parameters;

    private RequestTarget(String originForm, String rawPath, String path, List<String> segments,
                          Map<String, List<String>> parameters) {
        this.originForm = originForm;
        this.rawPath = rawPath;
        this.path = path;
        this.segments = segments;
        this.parameters = parameters;
    }

    /**
     * Reads and checks a request-target as it came on the request line; never throws. Any thread.
     *
     * @param uri the request-target (origin-form {@code /path?query}, or absolute-form, which is
     *            reduced to origin-form); may be null
     * @return {@link Valid} with the target, or {@link Malformed} naming what is wrong (a character
     *         outside visible ASCII, a fragment, a bad escape, a dot segment, a control character)
     */
    public static Result parse(String uri) {
        if (uri == null || uri.isEmpty()) {
            return Malformed.NOT_A_PATH;
        }
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c <= 0x20 || c >= 0x7F) {
                return Malformed.BAD_CHARACTER;
            }
            if (c == '#') {
                return Malformed.FRAGMENT;
            }
        }
        String origin = uri.charAt(0) == '/' ? uri : absoluteToOrigin(uri);
        if (origin == null) {
            return Malformed.NOT_A_PATH;
        }
        int q = origin.indexOf('?');
        String rawPath = q < 0 ? origin : origin.substring(0, q);
        String rawQuery = q < 0 ? "" : origin.substring(q + 1);
        List<String> segments = new ArrayList<>();
        StringBuilder path = new StringBuilder(rawPath.length());
        // The first element of the split is the empty string before the leading '/'.
        String[] rawSegments = rawPath.split("/", -1);
        for (int i = 1; i < rawSegments.length; i++) {
            String decoded = decode(rawSegments[i], false);
            if (decoded == null) {
                return problemOf(rawSegments[i]);
            }
            if (decoded.equals(".") || decoded.equals("..")) {
                return Malformed.DOT_SEGMENT;
            }
            if (hasControl(decoded)) {
                return Malformed.CONTROL;
            }
            segments.add(decoded);
            path.append('/').append(decoded);
        }
        if (!rawQuery.isEmpty() && decode(rawQuery, true) == null) {
            return problemOf(rawQuery);
        }
        // Every escape of the query is known good now, so Netty's decoder cannot fail on it.
        Map<String, List<String>> parameters = rawQuery.isEmpty() ? Map.of()
                : Collections.unmodifiableMap(new QueryStringDecoder(rawQuery, StandardCharsets.UTF_8, false)
                        .parameters());
        return new Valid(new RequestTarget(origin, rawPath, path.toString(), List.copyOf(segments), parameters));
    }

    /**
     * The target of {@code request} on {@code channel}: the one the router attached when it is the
     * request's, else read here (for a handler driven without the router); a target the router would
     * have refused is an {@link IllegalArgumentException}. On the channel's event loop.
     *
     * @param channel the request's connection
     * @param request the request being served
     * @return the checked target
     */
    public static RequestTarget of(Channel channel, HttpRequest request) {
        RequestTarget attached = channel.attr(KEY).get();
        if (attached != null && attached.originForm.equals(request.uri())) {
            return attached;
        }
        Result result = parse(request.uri());
        if (result instanceof Valid valid) {
            return valid.target();
        }
        throw new IllegalArgumentException(((Malformed) result).problem());
    }

    /** Attaches the target of the request about to be routed on {@code channel}; called by the router only. */
    public static void attach(Channel channel, RequestTarget target) {
        channel.attr(KEY).set(target);
    }

    /**
     * Lets go of the target attached to {@code channel}: called when a connection becomes a
     * WebSocket, which routes no more requests, so an idle session does not hold its handshake's
     * path and query (the token among them). Channel loop.
     */
    public static void detach(Channel channel) {
        channel.attr(KEY).getAndRemove();
    }

    /** The target in origin-form: raw path and query as sent, without scheme and authority. */
    public String originForm() {
        return originForm;
    }

    /**
     * The path as sent, escapes kept: what routes are matched on.
     *
     * @return the origin-form up to the {@code ?}
     */
    public String rawPath() {
        return rawPath;
    }

    /**
     * The path with every escape decoded (UTF-8).
     *
     * @return the decoded path, starting with {@code /}
     */
    public String path() {
        return path;
    }

    /**
     * The decoded segments of the path, split on the raw {@code /}s: {@code /a%2Fb/c} is {@code [a/b, c]}.
     *
     * @return an immutable list; a trailing {@code /} gives a last empty segment
     */
    public List<String> segments() {
        return segments;
    }

    /**
     * The decoded query parameters ({@code +} is a space), each name with its values in order; empty without a query.
     *
     * @return an unmodifiable map from name to values
     */
    public Map<String, List<String>> parameters() {
        return parameters;
    }

    /**
     * The first value of a query parameter.
     *
     * @param name the parameter's decoded name
     * @return its first decoded value, or null when absent
     */
    public String parameter(String name) {
        List<String> values = parameters.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    @Override
    public String toString() {
        return originForm;
    }

    /** {@code scheme://authority[/path][?query]} as origin-form, or null when it is not http(s). */
    private static String absoluteToOrigin(String uri) {
        String lower = uri.toLowerCase(Locale.ROOT);
        int start;
        if (lower.startsWith("http://")) {
            start = "http://".length();
        } else if (lower.startsWith("https://")) {
            start = "https://".length();
        } else {
            return null;
        }
        int end = start;
        while (end < uri.length() && uri.charAt(end) != '/' && uri.charAt(end) != '?') {
            end++;
        }
        if (end == start) {
            return null;
        }
        if (end == uri.length()) {
            return "/";
        }
        return uri.charAt(end) == '?' ? "/" + uri.substring(end) : uri.substring(end);
    }

    /** Percent-decodes {@code raw} as UTF-8 ({@code +} as a space in a query); null when an escape or the UTF-8 is bad. */
    private static String decode(String raw, boolean query) {
        if (raw.indexOf('%') < 0) {
            return query ? raw.replace('+', ' ') : raw;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    return null;
                }
                int hi = Character.digit(raw.charAt(i + 1), 16);
                int lo = Character.digit(raw.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                bytes.write(hi << 4 | lo);
                i += 2;
            } else {
                bytes.write(query && c == '+' ? ' ' : c);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** Why {@link #decode} refused {@code raw}: a bad escape, or bytes that are not UTF-8. */
    private static Malformed problemOf(String raw) {
        for (int i = 0; i < raw.length(); i++) {
            if (raw.charAt(i) == '%') {
                if (i + 2 >= raw.length() || Character.digit(raw.charAt(i + 1), 16) < 0
                        || Character.digit(raw.charAt(i + 2), 16) < 0) {
                    return Malformed.BAD_ESCAPE;
                }
                i += 2;
            }
        }
        return Malformed.NOT_UTF8;
    }

    private static boolean hasControl(String decoded) {
        for (int i = 0; i < decoded.length(); i++) {
            char c = decoded.charAt(i);
            if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0)) {
                return true;
            }
        }
        return false;
    }
}
