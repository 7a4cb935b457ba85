package io.lightd.runtime.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.InternetProtocol;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.api.model.Volume;
import io.lightd.runtime.ContainerSpec;
import io.lightd.runtime.Terminal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How lightd's containers look to the engine: their names, labels and create requests.
 *
 * <ul>
 *   <li>The container of internal id {@code X} is {@code lightd-X}, labelled
 *       {@code lightd.managed=true} and {@code lightd.internal_id=X}. Its install container is
 *       {@code lightd_install-X} (no internal id can make a name of one collide with the other),
 *       labelled {@code lightd.managed=install} and {@code lightd.install_for=X}, so the events
 *       stream and {@code listRunning} (both filtered to {@code lightd.managed=true}) never see it.</li>
 *   <li>Both run {@code /bin/sh -c ...} in {@code /home/container}, the bind-mounted volume, with the
 *       spec's environment, memory limit (swap limited to the same value) and CPU limit, on the
 *       configured network mode. The server's container keeps stdin open ({@code OpenStdin}, not
 *       {@code StdinOnce}); the install container has no stdin.</li>
 *   <li>The install container never has a TTY (its output is multiplexed). The server's container
 *       has one when the spec asks for it ({@link ContainerSpec#tty()}): its output is then raw, its
 *       environment gets {@code TERM} ({@link Terminal#environment}), and its command waits at
 *       {@link Terminal#GATE_SCRIPT} (with the startup command as {@code $0}) until lightd has set the
 *       terminal's modes and opened the gate. Without one, it runs {@code /bin/sh -c <startup command>}.</li>
 *   <li>Both run under the engine's init ({@code HostConfig.Init}: {@code docker-init}, which is tini)
 *       with {@code TINI_KILL_PROCESS_GROUP=1}: the init is PID 1 and forwards every signal it gets
 *       (the stop signal, {@code docker stop}'s SIGTERM) to the process group of {@code /bin/sh}, so
 *       the signal reaches the server's whole process tree, and a shell that does not trap it ends at
 *       once. Without it the shell is PID 1, and PID 1 ignores every signal it installs no handler
 *       for. Checked against the engine by {@code DockerRuntimeTest}.</li>
 * </ul>
 * Stateless.
 */
final class EngineContainers {

    static final String LABEL_MANAGED = "lightd.managed";
    static final String LABEL_INTERNAL_ID = "lightd.internal_id";
    static final String LABEL_INSTALL_FOR = "lightd.install_for";
    static final String VOLUME_TARGET = "/home/container";
    /** Makes the engine's init (tini) signal the whole process group of its child, not the child alone. */
    static final String INIT_GROUP_SIGNALS = "TINI_KILL_PROCESS_GROUP=1";

    private EngineContainers() {
    }

    static String containerName(String internalId) {
        return "lightd-" + internalId;
    }

    static String installContainerName(String internalId) {
        return "lightd_install-" + internalId;
    }

    /** The create request of the container that runs {@code spec.startupCommand()}. */
    static CreateContainerCmd serverContainer(DockerClient docker, ContainerSpec spec, Path volume, String networkMode) {
        List<String> command = spec.tty()
                ? List.of("/bin/sh", "-c", Terminal.GATE_SCRIPT, spec.startupCommand())
                : List.of("/bin/sh", "-c", spec.startupCommand());
        return common(docker, spec, volume, networkMode, command, spec.tty())
                .withName(containerName(spec.internalId()))
                .withLabels(Map.of(LABEL_MANAGED, "true", LABEL_INTERNAL_ID, spec.internalId()))
                .withStdinOpen(true)
                .withStdInOnce(false)
                .withAttachStdin(true);
    }

    /** The create request of the throw-away container that runs {@code spec.installScript()}. */
    static CreateContainerCmd installContainer(DockerClient docker, ContainerSpec spec, Path volume, String networkMode) {
        return common(docker, spec, volume, networkMode, List.of("/bin/sh", "-c", spec.installScript()), false)
                .withName(installContainerName(spec.internalId()))
                .withLabels(Map.of(LABEL_MANAGED, "install", LABEL_INSTALL_FOR, spec.internalId()))
                .withStdinOpen(false)
                .withAttachStdin(false);
    }

    /**
     * The container's {@code Env}: the spec's entries as {@code KEY=value}, then
     * {@link #INIT_GROUP_SIGNALS}. A {@code TINI_KILL_PROCESS_GROUP} of the spec's is overridden
     * (left out), so it is neither set twice nor able to stop the init from signalling the whole
     * process group.
     */
    static List<String> environment(Map<String, String> specEnv) {
        String initKey = INIT_GROUP_SIGNALS.substring(0, INIT_GROUP_SIGNALS.indexOf('='));
        List<String> env = new ArrayList<>();
        specEnv.forEach((key, value) -> {
            if (!key.equals(initKey)) {
                env.add(key + "=" + value);
            }
        });
        env.add(INIT_GROUP_SIGNALS);
        return env;
    }

    private static CreateContainerCmd common(DockerClient docker, ContainerSpec spec, Path volume, String networkMode,
                                             List<String> command, boolean tty) {
        List<String> env = environment(tty ? Terminal.environment(spec.env()) : spec.env());
        HostConfig host = HostConfig.newHostConfig()
                .withBinds(new Bind(volume.toString(), new Volume(VOLUME_TARGET)))
                .withNetworkMode(networkMode)
                .withInit(true);
        if (spec.memoryLimit() > 0) {
            host.withMemory(spec.memoryLimit()).withMemorySwap(spec.memoryLimit());
        }
        if (spec.cpuLimit() > 0) {
            host.withNanoCPUs(Math.round(spec.cpuLimit() * 1_000_000_000L));
        }
        List<ExposedPort> exposed = new ArrayList<>();
        if (!spec.ports().isEmpty() && !"none".equals(networkMode)) {
            Ports bindings = new Ports();
            for (ContainerSpec.PortBinding port : spec.ports()) {
                ExposedPort exposedPort = new ExposedPort(port.port(), InternetProtocol.parse(port.protocol()));
                exposed.add(exposedPort);
                bindings.bind(exposedPort, Ports.Binding.bindIpAndPort(port.ip(), port.port()));
            }
            host.withPortBindings(bindings);
        }
        CreateContainerCmd create = docker.createContainerCmd(spec.image())
                .withCmd(command)
                .withEnv(env)
                .withWorkingDir(VOLUME_TARGET)
                .withTty(tty)
                .withAttachStdout(true)
                .withAttachStderr(true)
                .withHostConfig(host);
        if (!exposed.isEmpty()) {
            create.withExposedPorts(exposed);
        }
        return create;
    }
}
