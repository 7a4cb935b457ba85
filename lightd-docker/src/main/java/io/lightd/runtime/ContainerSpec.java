package io.lightd.runtime;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a runtime needs to know to install and run one container: the create body of the REST API,
 * validated. {@code stopCommand} and {@code installScript} may be null; {@code memoryLimit} is bytes
 * (0 = no limit), {@code cpuLimit} is cores (0 = no limit). {@code tty}: the server's stdin, stdout
 * and stderr are a terminal ({@link Terminal}) instead of pipes; install scripts always run on pipes.
 */
public record ContainerSpec(String internalId, String image, String startupCommand, String stopCommand,
                            String installScript, Map<String, String> env, long memoryLimit, double cpuLimit,
                            List<PortBinding> ports, boolean tty) {

    /** A spec whose server runs on pipes, without a terminal. */
    public ContainerSpec(String internalId, String image, String startupCommand, String stopCommand,
                         String installScript, Map<String, String> env, long memoryLimit, double cpuLimit,
                         List<PortBinding> ports) {
        this(internalId, image, startupCommand, stopCommand, installScript, env, memoryLimit, cpuLimit, ports, false);
    }

    public ContainerSpec {
        Objects.requireNonNull(internalId, "internalId");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(startupCommand, "startupCommand");
        env = Map.copyOf(env == null ? Map.of() : env);
        ports = List.copyOf(ports == null ? List.of() : ports);
    }

    /** One published port: host {@code ip}, {@code port} (host and container), {@code protocol} tcp or udp. */
    public record PortBinding(String ip, int port, String protocol) {
        public PortBinding {
            Objects.requireNonNull(ip, "ip");
            Objects.requireNonNull(protocol, "protocol");
        }
    }
}
