package io.lightd.server.record;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What a container's record remembers about how its server ended, so that it survives a daemon
 * restart: the last exit ({@code last_exit}: code, whether it was an out-of-memory kill, when), the
 * crashes the restart policy still counts ({@code recent_crashes}, oldest first), and whether a
 * restart after a crash was due when the record was written ({@code restart_pending}). Immutable.
 *
 * @param lastExitCode        the last exit's code, or null when the server never exited
 * @param lastExitOutOfMemory whether the last exit was an out-of-memory kill
 * @param lastExitAt          when the last exit happened, or null when never
 * @param recentCrashes       the crash times the restart policy's window still counts, oldest first
 * @param restartPending      whether a restart after a crash was due when the record was written
 */
public record ExitHistory(Integer lastExitCode, boolean lastExitOutOfMemory, Instant lastExitAt,
                          List<Instant> recentCrashes, boolean restartPending) {

    /** A container that has never exited. */
    public static final ExitHistory NONE = new ExitHistory(null, false, null, List.of(), false);

    /**
     * Copies the crash list into an immutable one.
     *
     * @param lastExitCode        the last exit's code, or null
     * @param lastExitOutOfMemory whether it was an out-of-memory kill
     * @param lastExitAt          when, or null
     * @param recentCrashes       crash times, oldest first; not null
     * @param restartPending      whether a restart after a crash was due
     */
    public ExitHistory {
        recentCrashes = List.copyOf(recentCrashes);
    }

    /** This history with an exit recorded. */
    public ExitHistory withExit(int code, boolean outOfMemory, Instant at) {
        return new ExitHistory(code, outOfMemory, at, recentCrashes, restartPending);
    }

    /** This history with a crash at {@code at} added, and those older than {@code windowSeconds} dropped. */
    public ExitHistory withCrash(Instant at, int windowSeconds) {
        List<Instant> kept = new ArrayList<>();
        Instant horizon = at.minusSeconds(windowSeconds);
        for (Instant t : recentCrashes) {
            if (t.isAfter(horizon)) {
                kept.add(t);
            }
        }
        kept.add(at);
        return new ExitHistory(lastExitCode, lastExitOutOfMemory, lastExitAt, kept, restartPending);
    }

    /** This history with no crash counted and no restart due (a requested start). */
    public ExitHistory withoutCrashes() {
        return new ExitHistory(lastExitCode, lastExitOutOfMemory, lastExitAt, List.of(), false);
    }

    /** This history with {@code restartPending} set to {@code pending}. */
    public ExitHistory withRestartPending(boolean pending) {
        return new ExitHistory(lastExitCode, lastExitOutOfMemory, lastExitAt, recentCrashes, pending);
    }

    /** Adds {@code last_exit} (null before the first exit), {@code recent_crashes} and {@code restart_pending}. */
    void addTo(JsonObject record) {
        if (lastExitCode == null) {
            record.add("last_exit", JsonNull.INSTANCE);
        } else {
            JsonObject exit = new JsonObject();
            exit.addProperty("code", lastExitCode);
            exit.addProperty("out_of_memory", lastExitOutOfMemory);
            exit.addProperty("at", lastExitAt.toString());
            record.add("last_exit", exit);
        }
        JsonArray crashes = new JsonArray();
        recentCrashes.forEach(t -> crashes.add(t.toString()));
        record.add("recent_crashes", crashes);
        record.addProperty("restart_pending", restartPending);
    }

    /** Reads what {@link #addTo} wrote; missing fields (a record of an older lightd) read as none. */
    static ExitHistory fromStoredJson(JsonObject record) {
        Integer code = null;
        boolean oom = false;
        Instant at = null;
        JsonElement exit = record.get("last_exit");
        if (exit != null && exit.isJsonObject()) {
            JsonObject e = exit.getAsJsonObject();
            code = e.get("code").getAsInt();
            oom = e.has("out_of_memory") && e.get("out_of_memory").getAsBoolean();
            at = e.has("at") ? Instant.parse(e.get("at").getAsString()) : null;
        }
        List<Instant> crashes = new ArrayList<>();
        JsonElement list = record.get("recent_crashes");
        if (list != null && list.isJsonArray()) {
            list.getAsJsonArray().forEach(t -> crashes.add(Instant.parse(t.getAsString())));
        }
        JsonElement pending = record.get("restart_pending");
        return new ExitHistory(code, oom, at, crashes,
                pending != null && !pending.isJsonNull() && pending.getAsBoolean());
    }
}
