package io.lightd.runtime.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Version;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.core.RemoteApiVersion;
import java.io.IOException;
import java.time.Duration;

/**
 * A docker-java client for one engine, speaking the API version negotiated with it, on the
 * server's event loop group (through {@link SharedGroupExecFactory}).
 *
 * <p>Negotiation follows the Docker CLI: ask the engine's {@code /version} without a version
 * prefix, then use the lower of the engine's API version and {@link #MAX_API_VERSION}, but never
 * below the engine's minimum. Nothing is hard-coded that an engine could reject.
 *
 * <p>Immutable once built. {@link #negotiate} and every call on {@link #docker()} block their
 * caller: the runtime makes them on its blocking executor only.
 */
final class EngineClient implements AutoCloseable {

    /** The newest API version whose models docker-java 3.5.1 was written against. */
    static final RemoteApiVersion MAX_API_VERSION = RemoteApiVersion.create(1, 47);

    private final DockerClient docker;
    private final SharedGroupExecFactory factory;
    private final RemoteApiVersion apiVersion;
    private final String engineVersion;
    /** The engine's {@code NCPU} from {@code /info} (its host's CPUs), 0 when it did not say. */
    private final int cpus;

    private EngineClient(DockerClient docker, SharedGroupExecFactory factory, RemoteApiVersion apiVersion,
                         String engineVersion, int cpus) {
        this.cpus = cpus;
        this.docker = docker;
        this.factory = factory;
        this.apiVersion = apiVersion;
        this.engineVersion = engineVersion;
    }

    /** Asks the engine for its versions and builds a client for the negotiated one. Blocks. */
    static EngineClient negotiate(EngineConnector connector, Duration connectTimeout) {
        Version version;
        SharedGroupExecFactory probeFactory = new SharedGroupExecFactory(connector, connectTimeout);
        try (DockerClient probe = client(connector, probeFactory, RemoteApiVersion.unknown())) {
            version = probe.versionCmd().exec();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        RemoteApiVersion engineMax = RemoteApiVersion.parseConfig(version.getApiVersion());
        RemoteApiVersion chosen = engineMax.isGreater(MAX_API_VERSION) ? MAX_API_VERSION : engineMax;
        if (version.getMinAPIVersion() != null) {
            RemoteApiVersion engineMin = RemoteApiVersion.parseConfig(version.getMinAPIVersion());
            if (engineMin.isGreater(chosen)) {
                chosen = engineMin;
            }
        }
        SharedGroupExecFactory factory = new SharedGroupExecFactory(connector, connectTimeout);
        DockerClient docker = client(connector, factory, chosen);
        Integer cpus = docker.infoCmd().exec().getNCPU();
        return new EngineClient(docker, factory, chosen, version.getVersion(), cpus == null ? 0 : cpus);
    }

    @SuppressWarnings("deprecation") // the only way to plug in an exec factory that uses our group
    private static DockerClient client(EngineConnector connector, SharedGroupExecFactory factory,
                                       RemoteApiVersion apiVersion) {
        DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(connector.dockerHost())
                .withDockerTlsVerify(false)
                .withApiVersion(apiVersion)
                .build();
        return DockerClientImpl.getInstance(config).withDockerCmdExecFactory(factory);
    }

    DockerClient docker() {
        return docker;
    }

    SharedGroupExecFactory factory() {
        return factory;
    }

    /** {@code path} under the negotiated version, e.g. {@code /v1.41/containers/x/attach}. */
    String apiPath(String path) {
        return "/" + apiVersion.asWebPathPart() + path;
    }

    String apiVersion() {
        return apiVersion.getVersion();
    }

    String engineVersion() {
        return engineVersion;
    }

    /** The engine's host CPUs ({@code NCPU}), 0 when unknown. */
    int cpus() {
        return cpus;
    }

    @Override
    public void close() {
        factory.close();
    }
}
