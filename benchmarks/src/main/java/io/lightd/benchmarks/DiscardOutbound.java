package io.lightd.benchmarks;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;

/** At the head of an embedded pipeline: releases each written message where a socket would send it. */
@ChannelHandler.Sharable
final class DiscardOutbound extends ChannelOutboundHandlerAdapter {

    static final DiscardOutbound INSTANCE = new DiscardOutbound();

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        ReferenceCountUtil.release(msg);
        promise.trySuccess();
    }
}
