package io.lightd.server.record;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.lightd.protocol.JsonFields;
import io.lightd.runtime.StopSignal;
import java.util.Objects;

/**
 * The create body's lifecycle fields: {@code stop_signal} (what {@code stop} and a restart's stop send,
 * after the {@code stop_command} if there is one), {@code restart_policy}, and {@code limits.disk}
 * (bytes of the volume; 0 = no limit). Immutable.
 *
 * @param stopSignal    the signal a stop sends ({@link StopSignal#DEFAULT} when not given)
 * @param restartPolicy what happens after an exit nobody asked for ({@link RestartPolicy#NONE} when not given)
 * @param diskLimit     the most bytes the volume may use, 0 for no limit
 */
public record LifecycleSettings(StopSignal stopSignal, RestartPolicy restartPolicy, long diskLimit) {

    /** A container created without any of them. */
    public static final LifecycleSettings DEFAULTS = new LifecycleSettings(StopSignal.DEFAULT, RestartPolicy.NONE, 0);

    /**
     * Checks the components.
     *
     * @param stopSignal    the stop signal
     * @param restartPolicy the restart policy
     * @param diskLimit     bytes, 0 for no limit
     * @throws NullPointerException when {@code stopSignal} or {@code restartPolicy} is null
     */
    public LifecycleSettings {
        Objects.requireNonNull(stopSignal, "stopSignal");
        Objects.requireNonNull(restartPolicy, "restartPolicy");
    }

    /**
     * Reads them from a create body (or a stored record). Throws {@link IllegalArgumentException} with
     * the user-facing text for the first bad one.
     */
    static LifecycleSettings fromCreateBody(JsonObject body) {
        StopSignal signal = StopSignal.DEFAULT;
        JsonElement signalJson = body.get("stop_signal");
        if (signalJson != null && !signalJson.isJsonNull()) {
            if (!JsonFields.isString(signalJson)) {
                throw new IllegalArgumentException("stop_signal must be one of " + StopSignal.names());
            }
            signal = StopSignal.fromName(signalJson.getAsString()).orElseThrow(() ->
                    new IllegalArgumentException("stop_signal must be one of " + StopSignal.names()));
        }
        RestartPolicy policy = RestartPolicy.fromJson(body.get("restart_policy"));
        JsonElement limits = body.get("limits");
        long disk = limits != null && limits.isJsonObject()
                ? JsonFields.integer(limits.getAsJsonObject(), "disk", "limits.disk", 0, 0, Long.MAX_VALUE) : 0;
        return new LifecycleSettings(signal, policy, disk);
    }

    /** Adds {@code stop_signal}, {@code restart_policy} and {@code limits.disk} to a record's JSON. */
    void addTo(JsonObject record) {
        record.addProperty("stop_signal", stopSignal.name());
        record.add("restart_policy", restartPolicy.toJson());
        JsonObject limits = record.getAsJsonObject("limits");
        if (limits != null) {
            limits.addProperty("disk", diskLimit);
        }
    }
}
