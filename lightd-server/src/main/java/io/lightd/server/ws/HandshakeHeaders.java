package io.lightd.server.ws;

import io.lightd.server.http.message.HttpResponses;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import java.util.Base64;

/**
 * The headers that make a request a WebSocket opening handshake (RFC 6455 section 4.2.1), checked
 * before the upgrade by both WebSocket guards ({@link TokenHandshakeHandler} for {@code /ws/{id}},
 * {@link NodeStreamHandshake} for {@code /node/stream}), in the same order and with the same
 * answers, so that a request without them is refused like every other refusal, with a status and
 * the JSON error and then a close, instead of by Netty's handshaker with a bare text answer.
 * Stateless.
 */
final class HandshakeHeaders {

    /** The only protocol version lightd speaks, as {@code Sec-WebSocket-Version} carries it. */
    static final String VERSION = WebSocketVersion.V13.toHttpHeaderValue();
    /** Bytes of the nonce a {@code Sec-WebSocket-Key} carries, base64-encoded (RFC 6455 section 4.2.1). */
    static final int KEY_BYTES = 16;

    /** Why a handshake is refused: the status and the text of the JSON error. */
    record Refusal(HttpResponseStatus status, String message) {

        /** Answers the refusal, then closes the connection; a 426 names the version lightd speaks. */
        void send(ChannelHandlerContext ctx) {
            FullHttpResponse response = HttpResponses.response(status, HttpResponses.error(message), false);
            if (status.equals(HttpResponseStatus.UPGRADE_REQUIRED)) {
                response.headers().set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, VERSION);
            }
            HttpResponses.write(ctx, response, false);
        }
    }

    static final Refusal NO_UPGRADE = new Refusal(HttpResponseStatus.BAD_REQUEST,
            "not a WebSocket handshake: Upgrade: websocket is missing");
    static final Refusal NO_CONNECTION_UPGRADE = new Refusal(HttpResponseStatus.BAD_REQUEST,
            "not a WebSocket handshake: Connection: Upgrade is missing");
    static final Refusal NO_KEY = new Refusal(HttpResponseStatus.BAD_REQUEST,
            "not a WebSocket handshake: Sec-WebSocket-Key is missing");
    static final Refusal BAD_KEY = new Refusal(HttpResponseStatus.BAD_REQUEST,
            "not a WebSocket handshake: Sec-WebSocket-Key must be 16 bytes in base64");
    static final Refusal UNSUPPORTED_VERSION = new Refusal(HttpResponseStatus.UPGRADE_REQUIRED,
            "unsupported WebSocket version; use " + VERSION);

    private HandshakeHeaders() {
    }

    /**
     * What is wrong with {@code headers} as an opening handshake's, or null when nothing is:
     * {@code Upgrade}, {@code Connection}, {@code Sec-WebSocket-Key} (present, 16 bytes in base64),
     * each a 400, then {@code Sec-WebSocket-Version} (anything but 13 is a 426).
     */
    static Refusal check(HttpHeaders headers) {
        if (!headers.containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
            return NO_UPGRADE;
        }
        if (!headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)) {
            return NO_CONNECTION_UPGRADE;
        }
        String key = headers.get(HttpHeaderNames.SEC_WEBSOCKET_KEY);
        if (key == null || key.isBlank()) {
            return NO_KEY;
        }
        if (!isKey(key.trim())) {
            return BAD_KEY;
        }
        if (!VERSION.equals(headers.get(HttpHeaderNames.SEC_WEBSOCKET_VERSION))) {
            return UNSUPPORTED_VERSION;
        }
        return null;
    }

    /** A base64 (RFC 4648 section 4, padded) encoding of exactly {@link #KEY_BYTES} bytes: 24 characters. */
    private static boolean isKey(String key) {
        if (key.length() != 24) {
            return false;
        }
        try {
            return Base64.getDecoder().decode(key).length == KEY_BYTES;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
