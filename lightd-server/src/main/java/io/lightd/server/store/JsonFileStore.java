package io.lightd.server.store;

import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.lightd.server.files.AtomicFiles;
import io.lightd.server.logging.FaultLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JSON file of the registry, saved atomically on the storage executor. A save writes the
 * snapshot as it is when the write runs, so saves queued behind one another collapse into one
 * write; each returned future completes once a write that includes the caller's change is on disk.
 * {@link #save()} may be called from any thread.
 *
 * <p>A write that fails (disk full, read-only file system) fails the futures it would have
 * completed with a {@link StorageException}; the file keeps its previous content, and the next save
 * writes the whole snapshot again, so the store recovers by itself once the disk is writable.
 * Callers that must not keep an unstored change take it back in a dependent stage, which runs on
 * the storage thread before the next write.
 */
public final class JsonFileStore {

    private static final Logger log = LoggerFactory.getLogger(JsonFileStore.class);

    /** A failed write is one ERROR line per distinct failure per minute, however often it recurs. */
    private final FaultLog faults = new FaultLog(log);
    private final Path file;
    private final Executor storage;
    private final Supplier<JsonElement> snapshot;
    private final AtomicLong requested = new AtomicLong();
    private volatile long written;

    /**
     * Creates the store of one file; nothing is read or written yet.
     *
     * @param file     the JSON file, written atomically and owner-only ({@link AtomicFiles})
     * @param storage  the executor every write runs on (the storage thread)
     * @param snapshot makes the document to write; called on {@code storage} at each write, so it must
     *                 be safe to call from that thread
     */
    public JsonFileStore(Path file, Executor storage, Supplier<JsonElement> snapshot) {
        this.file = file;
        this.storage = storage;
        this.snapshot = snapshot;
    }

    /**
     * Makes the stores of one registry folder, all writing on one storage executor.
     *
     * @param folder  the registry folder the files live in
     * @param storage the executor every write runs on
     */
    public record Factory(Path folder, Executor storage) {
        /**
         * A store of the file {@code name} in the folder.
         *
         * @param name     the file name, e.g. {@code tokens.json}
         * @param snapshot makes the document to write, on the storage executor
         * @return a new store; nothing is read or written yet
         */
        public JsonFileStore create(String name, Supplier<JsonElement> snapshot) {
            return new JsonFileStore(folder.resolve(name), storage, snapshot);
        }
    }

    /**
     * The file this store writes.
     *
     * @return its path
     */
    public Path file() {
        return file;
    }

    /**
     * Reads the file. Blocking: for start-up.
     *
     * @return the parsed document, or null when the file does not exist yet
     * @throws IOException when it cannot be read, or is not valid JSON (the message names the file)
     */
    public JsonElement load() throws IOException {
        try {
            return JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return null;
        } catch (JsonParseException e) {
            throw new IOException(file + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    /**
     * Schedules a write of the current snapshot. Any thread; never blocks.
     *
     * @return completes (on the storage thread) when this write or a later one is on disk; fails with
     *         {@link StorageException} when the write fails, or at once when the executor refuses it
     */
    public CompletableFuture<Void> save() {
        long generation = requested.incrementAndGet();
        try {
            return write(generation);
        } catch (RejectedExecutionException e) {
            // Shutting down, or a queue of writes so long that the disk cannot keep up: not stored.
            return CompletableFuture.failedFuture(new StorageException(file,
                    new IOException("storage writes are shut down or backed up")));
        }
    }

    private CompletableFuture<Void> write(long generation) {
        return CompletableFuture.runAsync(() -> {
            if (written >= generation) {
                return;
            }
            long covers = requested.get();
            byte[] content = snapshot.get().toString().getBytes(StandardCharsets.UTF_8);
            try {
                AtomicFiles.write(file, content, true);
            } catch (IOException e) {
                StorageException failure = new StorageException(file, e);
                faults.error(failure.getMessage(), failure.getMessage());
                throw failure;
            }
            written = covers;
        }, storage);
    }
}
