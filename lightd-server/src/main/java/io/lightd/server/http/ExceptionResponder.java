package io.lightd.server.http;

import io.lightd.server.http.message.HttpResponses;
import io.lightd.server.logging.FaultLog;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of every connection: whatever exception no handler before it dealt with ends
 * here, and the connection with it. While the connection still owes an answer and none has begun
 * ({@link RequestDeadlineHandler#awaitingResponse()}), the exception is answered with a status and
 * the JSON error first: 400 for what the client sent (a decoder failure, a request that is no
 * WebSocket handshake), 500 for lightd's own fault; then the connection is closed.
 *
 * <p>The log stays bounded whatever clients do: an error a client caused (bad input, a reset or a
 * close halfway, a decoder failure) is one DEBUG line without a stack trace, and none when it only
 * follows a close lightd started itself after an answer ({@link RequestDeadlineHandler#closing()}),
 * which was logged where it was decided; anything else is a
 * lightd fault, written with its stack trace through the shared {@link FaultLog}, at most once a
 * minute per distinct fault. A message that reaches this handler (none should) is released.
 * Stateless and shared.
 */
@ChannelHandler.Sharable
public final class ExceptionResponder extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ExceptionResponder.class);

    /** How an exception is answered: who caused it, and the status and error text, or no answer (null). */
    record Verdict(boolean clientCaused, HttpResponseStatus status, String message) {
    }

    static final Verdict CLIENT_GONE = new Verdict(true, null, null);
    static final Verdict MALFORMED = new Verdict(true, HttpResponseStatus.BAD_REQUEST, "malformed HTTP request");
    static final Verdict NOT_A_HANDSHAKE = new Verdict(true, HttpResponseStatus.BAD_REQUEST,
            "not a WebSocket handshake request");
    static final Verdict FAULT = new Verdict(false, HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error");

    private final FaultLog faults;

    /**
     * Creates the responder; one instance serves every connection.
     *
     * @param faults shared by every connection, so a fault met by every request is written once a minute
     */
    public ExceptionResponder(FaultLog faults) {
        this.faults = faults;
    }

    /** Classifies {@code cause}: a client's doing (and what to answer it) or lightd's fault. */
    static Verdict verdict(Throwable cause) {
        if (cause instanceof IOException || cause instanceof PrematureChannelClosureException) {
            return CLIENT_GONE;
        }
        if (cause instanceof DecoderException) {
            return cause.getCause() instanceof IOException ? CLIENT_GONE : MALFORMED;
        }
        if (cause instanceof WebSocketHandshakeException) {
            return NOT_A_HANDSHAKE;
        }
        return FAULT;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Verdict verdict = verdict(cause);
        RequestDeadlineHandler deadline = ctx.pipeline().get(RequestDeadlineHandler.class);
        if (verdict == CLIENT_GONE && deadline != null && deadline.closing()) {
            // The close lightd started after an answer, already logged where it was decided.
            ctx.close();
            return;
        }
        if (verdict.clientCaused()) {
            log.debug("http {}: closing after a client error: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            faults.warn("http " + ctx.channel().remoteAddress() + ": unexpected error, closing", cause);
        }
        if (verdict.status() != null && deadline != null && deadline.awaitingResponse() && ctx.channel().isActive()) {
            HttpResponses.sendError(ctx, verdict.status(), verdict.message(), false);
        } else {
            ctx.close();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }
}
