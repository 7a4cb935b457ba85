package io.lightd.server.it;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.lightd.protocol.ContainerState;
import io.lightd.protocol.InstallState;
import io.lightd.server.record.ContainerRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * Writes a registry of many installed, stopped servers into a storage folder before a daemon starts
 * on it, so a node with thousands of servers exists without thousands of creates (each of which
 * would install and store the whole registry again).
 */
final class NodeSeed {

    private NodeSeed() {
    }

    /** Stores {@code count} servers {@code prefix + "0000"} ... for the process runtime, installed and stopped. */
    static void installedServers(Path storage, String prefix, int count) throws IOException {
        Instant now = Instant.now();
        JsonArray all = new JsonArray();
        for (int i = 0; i < count; i++) {
            JsonObject body = new JsonObject();
            body.addProperty("internal_id", prefix + String.format("%04d", i));
            body.addProperty("image", "local");
            body.addProperty("startup_command", "echo 'Done (0.1s)!'; while read line; do echo \"$line\"; done");
            body.addProperty("start_pattern", "Done \\(");
            ContainerRecord r = ContainerRecord.fromCreateBody(body, now)
                    .withStates(InstallState.INSTALLED, ContainerState.INSTALLED, now);
            all.add(r.toJson());
        }
        Path registry = Files.createDirectories(storage.resolve("registry"));
        Files.writeString(registry.resolve("containers.json"), all.toString(), StandardCharsets.UTF_8);
    }
}
