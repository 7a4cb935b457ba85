package io.lightd.server.http;

import com.google.gson.JsonObject;
import io.lightd.server.http.message.HttpResponses;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.ReferenceCountUtil;

/**
 * Netty's aggregator with {@code limits.http_max_body_bytes}, whose refusals of a larger body (by
 * its {@code Content-Length}, by what arrived, or before a {@code 100-continue}) are the REST
 * error shape: 413 with a JSON error, then the connection is closed; so is its 417 for an
 * {@code Expect} other than {@code 100-continue}. One per connection.
 */
public final class BodyLimitAggregator extends HttpObjectAggregator {

    /**
     * Creates the aggregator of one connection, with Netty's {@code closeOnExpectationFailed} set, so
     * a refused {@code Expect} closes the connection as a too-large body does.
     *
     * @param maxBodyBytes the largest request body accepted, in bytes ({@code limits.http_max_body_bytes})
     */
    public BodyLimitAggregator(int maxBodyBytes) {
        super(maxBodyBytes, true);
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        HttpResponses.send(ctx, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, tooLarge(), false);
    }

    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
        Object answer = super.newContinueResponse(start, maxContentLength, pipeline);
        if (answer instanceof HttpResponse r && r.status().equals(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE)) {
            ReferenceCountUtil.release(answer);
            return HttpResponses.response(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, tooLarge(), false);
        }
        if (answer instanceof HttpResponse r && r.status().equals(HttpResponseStatus.EXPECTATION_FAILED)) {
            ReferenceCountUtil.release(answer);
            return HttpResponses.response(HttpResponseStatus.EXPECTATION_FAILED,
                    HttpResponses.error("unsupported expectation; only 100-continue is understood"), false);
        }
        return answer;
    }

    private JsonObject tooLarge() {
        return HttpResponses.error("request body larger than " + maxContentLength() + " bytes");
    }
}
