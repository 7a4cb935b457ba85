package io.lightd.server;

import io.lightd.runtime.ContainerRuntime;
import io.lightd.runtime.docker.DockerRuntime;
import io.lightd.runtime.process.ProcessRuntime;
import io.lightd.server.config.LightdConfig;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoopGroup;

/** Makes the runtime the configuration names; the Docker client shares the server's event loops. */
final class Runtimes {

    private Runtimes() {
    }

    static ContainerRuntime create(LightdConfig config, EventLoopGroup group) {
        return switch (config.runtime()) {
            case PROCESS -> new ProcessRuntime(config.basePath(), ByteBufAllocator.DEFAULT,
                    ProcessRuntime.DEFAULT_LOG_FILE_LIMIT, config.stats().idleInterval());
            case DOCKER -> new DockerRuntime(group, dockerHost(config.dockerSocketPath()), config.basePath(),
                    config.dockerNetworkMode(), null, config.stats().idleInterval(), true);
        };
    }

    /** {@code docker.socket_path} may be a plain socket path (Lightd's form) or a {@code unix://}/{@code tcp://} URL. */
    static String dockerHost(String socketPath) {
        return socketPath.startsWith("unix://") || socketPath.startsWith("tcp://") ? socketPath : "unix://" + socketPath;
    }
}
