package io.lightd.server.store;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import io.lightd.server.record.ContainerRecord;
import java.io.IOException;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/** The persisted set of container records. Thread-safe; every change returns when it is on disk. */
public final class ContainerRegistry {

    private final Map<String, ContainerRecord> records = new ConcurrentHashMap<>();
    private final JsonFileStore file;

    public ContainerRegistry(JsonFileStore.Factory files) {
        this.file = files.create("containers.json", this::toJson);
    }

    /** Loads the stored records. Blocking: for start-up. */
    public void load() throws IOException {
        JsonElement json = file.load();
        if (json == null) {
            return;
        }
        for (JsonElement e : json.getAsJsonArray()) {
            ContainerRecord r = ContainerRecord.fromStoredJson(e.getAsJsonObject());
            records.put(r.internalId(), r);
        }
    }

    public ContainerRecord get(String id) {
        return records.get(id);
    }

    /** Adds a record unless one of that id exists; null when it was added, else the existing one. */
    public ContainerRecord putIfAbsent(ContainerRecord record) {
        return records.putIfAbsent(record.internalId(), record);
    }

    /** Takes back a record added by {@link #putIfAbsent} whose save failed, unless it changed since. */
    public void forget(ContainerRecord record) {
        records.remove(record.internalId(), record);
    }

    /** Replaces an existing record; a record removed meanwhile stays removed. */
    public CompletableFuture<Void> update(ContainerRecord record) {
        if (records.replace(record.internalId(), record) == null) {
            return CompletableFuture.completedFuture(null);
        }
        return file.save();
    }

    public CompletableFuture<Void> remove(String id) {
        records.remove(id);
        return file.save();
    }

    public CompletableFuture<Void> save() {
        return file.save();
    }

    public List<ContainerRecord> all() {
        return records.values().stream().sorted(Comparator.comparing(ContainerRecord::internalId)).toList();
    }

    public Collection<ContainerRecord> values() {
        return records.values();
    }

    private JsonElement toJson() {
        JsonArray array = new JsonArray();
        for (ContainerRecord r : all()) {
            array.add(r.toJson());
        }
        return array;
    }
}
