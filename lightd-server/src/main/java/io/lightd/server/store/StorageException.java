package io.lightd.server.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;

/**
 * A registry write that did not reach the disk (disk full, read-only or failing file system). The
 * change it carried was not stored; what was stored before is intact. Answered as 503, since the
 * daemon recovers by itself once the storage is writable again.
 */
public final class StorageException extends UncheckedIOException {

    private final String reason;

    StorageException(Path file, IOException cause) {
        super("cannot write " + file + ": " + reasonOf(cause), cause);
        this.reason = reasonOf(cause);
    }

    /**
     * The cause without the file's path, for answers to clients.
     *
     * @return the file system's reason, e.g. {@code No space left on device}
     */
    public String reason() {
        return reason;
    }

    private static String reasonOf(IOException e) {
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
