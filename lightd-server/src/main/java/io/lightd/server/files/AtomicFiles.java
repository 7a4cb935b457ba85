package io.lightd.server.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes a file so that a crash at any moment leaves either the old or the new content: write a
 * temporary file beside it, fsync it, rename it over the target, fsync the folder. Blocking: call it
 * from a blocking executor, never from an event loop.
 */
public final class AtomicFiles {

    private AtomicFiles() {
    }

    /**
     * Replaces {@code target} with {@code content}, creating its folder when missing. The temporary
     * file is {@code .<name>.tmp} in the same folder and is deleted when writing it fails.
     *
     * @param target    the file to write
     * @param content   its whole new content
     * @param ownerOnly whether the file gets mode {@code rw-------} (where the file system has POSIX modes)
     * @throws IOException when the folder cannot be created or the temporary file cannot be written,
     *                     synced or renamed; the target then keeps its old content
     */
    public static void write(Path target, byte[] content, boolean ownerOnly) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = dir.resolve("." + target.getFileName() + ".tmp");
        try {
            writeSynced(temp, content, ownerOnly);
        } catch (IOException e) {
            // A half-written temporary file would only hold on to the space a full disk lacks.
            try {
                Files.deleteIfExists(temp);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        try (FileChannel folder = FileChannel.open(dir, StandardOpenOption.READ)) {
            folder.force(true);
        } catch (IOException ignored) {
            // Some file systems cannot open a folder for fsync; the rename is still atomic there.
        }
    }

    private static void writeSynced(Path temp, byte[] content, boolean ownerOnly) throws IOException {
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            if (ownerOnly) {
                trySetOwnerOnly(temp);
            }
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
    }

    private static void trySetOwnerOnly(Path file) {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException | IOException ignored) {
            // Not a POSIX file system: nothing to tighten.
        }
    }
}
