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

/**
 * The persisted set of container records, kept in {@code containers.json} of the registry folder,
 * keyed by {@code internal_id}. Thread-safe; every change that saves returns a future that completes
 * when it is on disk (on the storage thread) or fails with {@link StorageException}.
 */
public final class ContainerRegistry {

    private final Map<String, ContainerRecord> records = new ConcurrentHashMap<>();
    private final JsonFileStore file;

    /**
     * Creates the registry; call {@link #load()} before use to read the stored records back.
     *
     * @param files the registry folder's stores
     */
    public ContainerRegistry(JsonFileStore.Factory files) {
        this.file = files.create("containers.json", this::toJson);
    }

    /**
     * Loads the stored records. Blocking: for start-up.
     *
     * @throws IOException when {@code containers.json} cannot be read or is not valid JSON (an absent
     *                     file is no error: no containers)
     */
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

    /**
     * The record of one container.
     *
     * @param id the container's {@code internal_id}
     * @return its record, or null when there is none
     */
    public ContainerRecord get(String id) {
        return records.get(id);
    }

    /**
     * Adds a record unless one of that id exists; in memory only, the caller saves with {@link #save()}.
     *
     * @param record the new record
     * @return null when it was added, else the existing record of that id
     */
    public ContainerRecord putIfAbsent(ContainerRecord record) {
        return records.putIfAbsent(record.internalId(), record);
    }

    /**
     * Takes back a record added by {@link #putIfAbsent} whose save failed, unless it changed since.
     *
     * @param record the record as it was added
     */
    public void forget(ContainerRecord record) {
        records.remove(record.internalId(), record);
    }

    /**
     * Replaces an existing record; a record removed meanwhile stays removed.
     *
     * @param record the new version, matched by {@code internal_id}
     * @return completes when it is on disk; at once (nothing to write) when no record of that id exists
     */
    public CompletableFuture<Void> update(ContainerRecord record) {
        if (records.replace(record.internalId(), record) == null) {
            return CompletableFuture.completedFuture(null);
        }
        return file.save();
    }

    /**
     * Removes a container's record.
     *
     * @param id the container's {@code internal_id}
     * @return completes when the removal is on disk (a write happens even when there was no record)
     */
    public CompletableFuture<Void> remove(String id) {
        records.remove(id);
        return file.save();
    }

    /**
     * Writes the records as they are now.
     *
     * @return completes when they are on disk
     */
    public CompletableFuture<Void> save() {
        return file.save();
    }

    /**
     * Every record, for listings.
     *
     * @return an immutable snapshot sorted by {@code internal_id}
     */
    public List<ContainerRecord> all() {
        return records.values().stream().sorted(Comparator.comparing(ContainerRecord::internalId)).toList();
    }

    /**
     * Every record, unsorted, without a copy.
     *
     * @return a live, weakly consistent view (changes while it is iterated may or may not show)
     */
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
