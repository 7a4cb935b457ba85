package io.lightd.server;

import io.lightd.runtime.ContainerRuntime;
import io.lightd.server.config.LightdConfig;
import io.netty.channel.EventLoopGroup;

/** Makes the runtime the configuration names. */
final class Runtimes {

    private Runtimes() {
    }

    static ContainerRuntime create(LightdConfig config, EventLoopGroup group) {
        throw new UnsupportedOperationException("runtime " + config.runtime() + " is not wired yet");
    }
}
