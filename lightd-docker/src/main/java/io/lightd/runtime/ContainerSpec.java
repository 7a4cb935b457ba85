package io.lightd.runtime;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a runtime needs to know to install and run one container: the create body of the REST API,
 * validated. {@code stopCommand} and {@code installScript} may be null; {@code memoryLimit} is bytes
 * (0 = no limit), {@code cpuLimit} is cores (0 = no limit). {@code tty}: the server's stdin, stdout
 * and stderr are a terminal ({@link Terminal}) instead of pipes; install scripts always run on pipes.
 * Immutable ({@code env} and {@code ports} are copied); any thread.
 *
 * @param internalId     the container's {@code internal_id}; the engine container is {@code lightd-<internalId>}
 * @param image          the image reference (Docker's grammar, {@link ImageReference})
 * @param startupCommand the server's command, run as {@code /bin/sh -c startupCommand} in the volume
 * @param stopCommand    the text written to stdin to stop the server gracefully, or null
 * @param installScript  the shell script run once in the volume on install, or null
 * @param env            environment variables for the process; never null after construction
 * @param memoryLimit    the memory limit in bytes, 0 for none
 * @param cpuLimit       the CPU limit in cores (1.5 is one and a half cores), 0 for none
 * @param ports          the published ports; never null after construction
 * @param tty            whether the server runs on a terminal instead of pipes
 */
public record ContainerSpec(String internalId, String image, String startupCommand, String stopCommand,
                            String installScript, Map<String, String> env, long memoryLimit, double cpuLimit,
                            List<PortBinding> ports, boolean tty) {

    /**
     * A spec whose server runs on pipes, without a terminal.
     *
     * @param internalId     the container's {@code internal_id}
     * @param image          the image reference
     * @param startupCommand the server's command
     * @param stopCommand    the graceful stop text for stdin, or null
     * @param installScript  the install script, or null
     * @param env            environment variables, or null for none
     * @param memoryLimit    bytes, 0 for none
     * @param cpuLimit       cores, 0 for none
     * @param ports          published ports, or null for none
     */
    public ContainerSpec(String internalId, String image, String startupCommand, String stopCommand,
                         String installScript, Map<String, String> env, long memoryLimit, double cpuLimit,
                         List<PortBinding> ports) {
        this(internalId, image, startupCommand, stopCommand, installScript, env, memoryLimit, cpuLimit, ports, false);
    }

    /**
     * Checks the required components and copies the collections.
     *
     * @param internalId     the container's {@code internal_id}
     * @param image          the image reference
     * @param startupCommand the server's command
     * @param stopCommand    the graceful stop text for stdin, or null
     * @param installScript  the install script, or null
     * @param env            environment variables, or null for none (stored as an immutable copy)
     * @param memoryLimit    bytes, 0 for none
     * @param cpuLimit       cores, 0 for none
     * @param ports          published ports, or null for none (stored as an immutable copy)
     * @param tty            whether the server runs on a terminal
     * @throws NullPointerException when {@code internalId}, {@code image} or {@code startupCommand} is null
     */
    public ContainerSpec {
        Objects.requireNonNull(internalId, "internalId");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(startupCommand, "startupCommand");
        env = Map.copyOf(env == null ? Map.of() : env);
        ports = List.copyOf(ports == null ? List.of() : ports);
    }

    /**
     * One published port: host {@code ip}, {@code port} (host and container), {@code protocol} tcp or udp.
     *
     * @param ip       the host address to bind, an IPv4 or IPv6 literal such as {@code 0.0.0.0}
     * @param port     the port number, the same on the host and in the container
     * @param protocol {@code tcp} or {@code udp}
     */
    public record PortBinding(String ip, int port, String protocol) {
        /**
         * Checks the components.
         *
         * @param ip       the host address
         * @param port     the port number
         * @param protocol {@code tcp} or {@code udp}
         * @throws NullPointerException when {@code ip} or {@code protocol} is null
         */
        public PortBinding {
            Objects.requireNonNull(ip, "ip");
            Objects.requireNonNull(protocol, "protocol");
        }
    }
}
