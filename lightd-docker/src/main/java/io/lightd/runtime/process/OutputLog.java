package io.lightd.runtime.process;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * The output log of one container, {@code <id>.log}, which the console history is seeded from after
 * a daemon restart. Bounded: an append that would take the file past its limit first moves it to
 * {@code <id>.log.1} (replacing the older one), so the two files hold at most about twice the limit
 * and at least the latest {@code limit} bytes.
 *
 * <p>The file stays open while output flows and is closed when the process that writes it ends.
 * Thread-safe: every method is synchronized. Appends come from the output thread of the
 * container's install or run (one at a time), tails from the runtime's executor.
 */
final class OutputLog {

    private final Path file;
    private final Path rotated;
    private final long limit;

    private OutputStream out;
    private long size;

    OutputLog(Path file, long limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit: " + limit + " (expected > 0)");
        }
        this.file = file;
        this.rotated = file.resolveSibling(file.getFileName() + ".1");
        this.limit = limit;
    }

    /** Appends output; blocking file I/O. */
    synchronized void append(byte[] bytes, int offset, int length) throws IOException {
        if (out == null) {
            Files.createDirectories(file.getParent());
            out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            size = Files.size(file);
        }
        if (size > 0 && size + length > limit) {
            rotate();
        }
        out.write(bytes, offset, length);
        size += length;
    }

    private void rotate() throws IOException {
        OutputStream full = out;
        out = null;
        full.close();
        Files.move(file, rotated, StandardCopyOption.REPLACE_EXISTING);
        out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        size = 0;
    }

    /** Closes the file and deletes it with its rotated predecessor. Blocking file I/O. */
    synchronized void delete() throws IOException {
        closeFile();
        Files.deleteIfExists(file);
        Files.deleteIfExists(rotated);
    }

    /** Closes the file until the next append. */
    synchronized void closeFile() throws IOException {
        OutputStream open = out;
        out = null;
        if (open != null) {
            open.close();
        }
    }

    /**
     * The last {@code maxBytes} (at most) of the output, oldest first, reaching into the rotated file
     * when the current one is shorter. Empty when nothing was logged. May start inside a line or a
     * UTF-8 character. Blocking file I/O.
     */
    synchronized byte[] tail(int maxBytes) throws IOException {
        if (maxBytes <= 0) {
            return new byte[0];
        }
        byte[] newest = readTail(file, maxBytes);
        if (newest.length == maxBytes) {
            return newest;
        }
        byte[] older = readTail(rotated, maxBytes - newest.length);
        byte[] both = new byte[older.length + newest.length];
        System.arraycopy(older, 0, both, 0, older.length);
        System.arraycopy(newest, 0, both, older.length, newest.length);
        return both;
    }

    private static byte[] readTail(Path path, int maxBytes) throws IOException {
        try (SeekableByteChannel channel = Files.newByteChannel(path)) {
            long size = channel.size();
            int length = (int) Math.min(size, maxBytes);
            ByteBuffer tail = ByteBuffer.allocate(length);
            channel.position(size - length);
            while (tail.hasRemaining() && channel.read(tail) >= 0) {
                // keep reading: a read may return fewer bytes than asked
            }
            return tail.position() == length ? tail.array() : Arrays.copyOf(tail.array(), tail.position());
        } catch (NoSuchFileException e) {
            return new byte[0];
        }
    }
}
