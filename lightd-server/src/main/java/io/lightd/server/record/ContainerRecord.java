package io.lightd.server.record;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.lightd.protocol.ContainerState;
import io.lightd.protocol.InstallState;
import io.lightd.protocol.JsonFields;
import io.lightd.runtime.ContainerSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One container as the registry stores it and REST shows it: the create fields, the runtime's
 * container name, install state and state, and timestamps. Immutable; changes make a new record.
 *
 * <p>{@code tty} (create body {@code tty}, default {@code true}): the server runs on a terminal. A
 * record stored before the field existed reads as {@code false}, which is what its runtime container
 * was created with.
 */
public record ContainerRecord(String internalId, String image, String startupCommand, String startPattern,
                              String stopCommand, String installScript, Map<String, String> env,
                              long memoryLimit, double cpuLimit, List<ContainerSpec.PortBinding> ports,
                              boolean tty, String containerId, InstallState installState, ContainerState state,
                              Instant createdAt, Instant updatedAt, LifecycleSettings lifecycle,
                              ExitHistory exits) {

    /** Copies {@code env} and {@code ports}; a null {@code lifecycle} or {@code exits} reads as the defaults. */
    public ContainerRecord {
        env = Map.copyOf(env);
        ports = List.copyOf(ports);
        lifecycle = lifecycle == null ? LifecycleSettings.DEFAULTS : lifecycle;
        exits = exits == null ? ExitHistory.NONE : exits;
    }

    /** This record with another exit history (an exit, a crash counted, a restart due or done). */
    public ContainerRecord withExits(ExitHistory newExits, Instant now) {
        return new ContainerRecord(internalId, image, startupCommand, startPattern, stopCommand, installScript, env,
                memoryLimit, cpuLimit, ports, tty, containerId, installState, state, createdAt, seconds(now), lifecycle,
                newExits);
    }

    /** What the runtime needs to install and run this container. */
    public ContainerSpec toSpec() {
        return new ContainerSpec(internalId, image, startupCommand, stopCommand, installScript, env, memoryLimit,
                cpuLimit, ports, tty);
    }

    /** {@code start_pattern} compiled (validated at create, so it compiles), or null when there is none. */
    public Pattern compiledStartPattern() {
        return startPattern == null ? null : Pattern.compile(startPattern);
    }

    /** This record with another install state and state, updated at {@code now} (whole seconds). */
    public ContainerRecord withStates(InstallState install, ContainerState newState, Instant now) {
        return new ContainerRecord(internalId, image, startupCommand, startPattern, stopCommand, installScript, env,
                memoryLimit, cpuLimit, ports, tty, containerId, install, newState, createdAt, seconds(now), lifecycle,
                exits);
    }

    /** This record with another image and install script (a reinstall), updated at {@code now} (whole seconds). */
    public ContainerRecord withInstallInputs(String newImage, String newInstallScript, Instant now) {
        return new ContainerRecord(internalId, newImage, startupCommand, startPattern, stopCommand, newInstallScript,
                env, memoryLimit, cpuLimit, ports, tty, containerId, installState, state, createdAt, seconds(now),
                lifecycle, exits);
    }

    private static Instant seconds(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS);
    }

    /**
     * Validates a REST create body. Throws {@link IllegalArgumentException} with the user-facing text
     * for the first problem found. Unknown fields are ignored.
     */
    public static ContainerRecord fromCreateBody(JsonObject body, Instant now) {
        String id = JsonFields.requiredString(body, "internal_id");
        if (!InternalIds.isValid(id)) {
            throw new IllegalArgumentException(InternalIds.problem());
        }
        String image = JsonFields.requiredString(body, "image");
        String startup = JsonFields.requiredString(body, "startup_command");
        String pattern = JsonFields.optionalString(body, "start_pattern");
        if (pattern != null) {
            try {
                Pattern.compile(pattern);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("start_pattern is not a valid regular expression: "
                        + e.getDescription());
            }
        }
        String stop = JsonFields.optionalString(body, "stop_command");
        String install = JsonFields.optionalString(body, "install_script");
        Map<String, String> env = new LinkedHashMap<>();
        JsonElement envJson = body.get("env");
        if (envJson != null && !envJson.isJsonNull()) {
            if (!envJson.isJsonObject()) {
                throw new IllegalArgumentException("env must be an object of strings");
            }
            for (Map.Entry<String, JsonElement> e : envJson.getAsJsonObject().entrySet()) {
                if (e.getKey().isEmpty() || e.getKey().contains("=") || e.getKey().indexOf('\0') >= 0
                        || !JsonFields.isString(e.getValue()) || e.getValue().getAsString().indexOf('\0') >= 0) {
                    throw new IllegalArgumentException("env must be an object of strings (bad entry \""
                            + e.getKey() + "\")");
                }
                env.put(e.getKey(), e.getValue().getAsString());
            }
        }
        long memory = 0;
        double cpu = 0;
        JsonElement limits = body.get("limits");
        if (limits != null && !limits.isJsonNull()) {
            if (!limits.isJsonObject()) {
                throw new IllegalArgumentException("limits must be an object");
            }
            JsonObject l = limits.getAsJsonObject();
            memory = JsonFields.integer(l, "memory", "limits.memory", 0, 0, Long.MAX_VALUE);
            cpu = nonNegativeDouble(l, "cpu");
        }
        List<ContainerSpec.PortBinding> ports = new ArrayList<>();
        JsonElement portsJson = body.get("ports");
        if (portsJson != null && !portsJson.isJsonNull()) {
            if (!portsJson.isJsonArray()) {
                throw new IllegalArgumentException("ports must be an array");
            }
            for (JsonElement p : portsJson.getAsJsonArray()) {
                if (!p.isJsonObject()) {
                    throw new IllegalArgumentException("each port must be an object with ip, port and protocol");
                }
                JsonObject o = p.getAsJsonObject();
                String ip = JsonFields.optionalString(o, "ip");
                String protocol = JsonFields.optionalString(o, "protocol");
                JsonElement port = o.get("port");
                if (port == null || !port.isJsonPrimitive() || !((JsonPrimitive) port).isNumber()
                        || port.getAsDouble() != Math.rint(port.getAsDouble())
                        || port.getAsDouble() < 1 || port.getAsDouble() > 65535) {
                    throw new IllegalArgumentException("port must be an integer from 1 to 65535");
                }
                protocol = protocol == null ? "tcp" : protocol;
                if (!protocol.equals("tcp") && !protocol.equals("udp")) {
                    throw new IllegalArgumentException("protocol must be tcp or udp");
                }
                ports.add(new ContainerSpec.PortBinding(ip == null ? "0.0.0.0" : ip, port.getAsInt(), protocol));
            }
        }
        LifecycleSettings lifecycle = LifecycleSettings.fromCreateBody(body);
        boolean tty = JsonFields.optionalBoolean(body, "tty", true);
        Instant t = seconds(now);
        return new ContainerRecord(id, image, startup, pattern, stop, install, env, memory, cpu, ports, tty,
                "lightd-" + id, InstallState.INSTALLING, ContainerState.INSTALLING, t, t, lifecycle, ExitHistory.NONE);
    }

    /** The full record, as {@code GET /containers/{id}} shows it and the registry stores it. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("internal_id", internalId);
        o.addProperty("image", image);
        o.addProperty("startup_command", startupCommand);
        o.addProperty("start_pattern", startPattern);
        o.addProperty("stop_command", stopCommand);
        o.addProperty("install_script", installScript);
        JsonObject envJson = new JsonObject();
        env.forEach(envJson::addProperty);
        o.add("env", envJson);
        JsonObject limits = new JsonObject();
        limits.addProperty("memory", memoryLimit);
        limits.addProperty("cpu", cpuLimit);
        o.add("limits", limits);
        JsonArray portsJson = new JsonArray();
        for (ContainerSpec.PortBinding p : ports) {
            JsonObject po = new JsonObject();
            po.addProperty("ip", p.ip());
            po.addProperty("port", p.port());
            po.addProperty("protocol", p.protocol());
            portsJson.add(po);
        }
        o.add("ports", portsJson);
        o.addProperty("tty", tty);
        o.addProperty("container_id", containerId);
        o.addProperty("install_state", installState.wireName());
        o.addProperty("state", state.wireName());
        o.addProperty("created_at", createdAt.toString());
        o.addProperty("updated_at", updatedAt.toString());
        lifecycle.addTo(o);
        exits.addTo(o);
        return o;
    }

    /** The short form of {@code GET /containers}. */
    public JsonObject toSummaryJson() {
        JsonObject o = new JsonObject();
        o.addProperty("internal_id", internalId);
        o.addProperty("container_id", containerId);
        o.addProperty("install_state", installState.wireName());
        o.addProperty("state", state.wireName());
        o.addProperty("image", image);
        return o;
    }

    /** Reads a stored record (the {@link #toJson()} form). */
    public static ContainerRecord fromStoredJson(JsonObject o) {
        ContainerRecord base = fromCreateBody(o, Instant.parse(o.get("created_at").getAsString()));
        InstallState install = InstallState.fromWireName(o.get("install_state").getAsString())
                .orElse(InstallState.FAILED);
        ContainerState state = ContainerState.fromWireName(o.get("state").getAsString()).orElse(ContainerState.EXIT);
        // stored before tty existed: created on pipes
        boolean tty = JsonFields.optionalBoolean(o, "tty", false);
        return new ContainerRecord(base.internalId, base.image, base.startupCommand, base.startPattern,
                base.stopCommand, base.installScript, base.env, base.memoryLimit, base.cpuLimit, base.ports, tty,
                o.get("container_id").getAsString(), install, state, base.createdAt,
                Instant.parse(o.get("updated_at").getAsString()), base.lifecycle, ExitHistory.fromStoredJson(o));
    }

    private static double nonNegativeDouble(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return 0;
        }
        if (e.isJsonPrimitive() && ((JsonPrimitive) e).isNumber() && e.getAsDouble() >= 0
                && Double.isFinite(e.getAsDouble())) {
            return e.getAsDouble();
        }
        throw new IllegalArgumentException("limits." + key + " must be a non-negative number");
    }
}
