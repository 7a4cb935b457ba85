package io.lightd.server.ws;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;

/**
 * The headers that make a request a WebSocket opening handshake (RFC 6455 section 4.2.1), checked
 * before the upgrade so that a request without them is refused like every other refusal, with a
 * status and the JSON error, instead of by Netty's handshaker with a bare text answer. Stateless.
 */
final class HandshakeHeaders {

    /** The only protocol version lightd speaks, as {@code Sec-WebSocket-Version} carries it. */
    static final String VERSION = WebSocketVersion.V13.toHttpHeaderValue();

    private HandshakeHeaders() {
    }

    /** What is wrong with {@code headers} as an opening handshake's, or null when nothing is. */
    static String problem(HttpHeaders headers) {
        if (!headers.containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
            return "not a WebSocket handshake: Upgrade: websocket is missing";
        }
        if (!headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)) {
            return "not a WebSocket handshake: Connection: Upgrade is missing";
        }
        String key = headers.get(HttpHeaderNames.SEC_WEBSOCKET_KEY);
        if (key == null || key.isBlank()) {
            return "not a WebSocket handshake: Sec-WebSocket-Key is missing";
        }
        return null;
    }

    /** True when the client asks for the version lightd speaks (anything else is answered 426). */
    static boolean supportedVersion(HttpHeaders headers) {
        return VERSION.equals(headers.get(HttpHeaderNames.SEC_WEBSOCKET_VERSION));
    }
}
