package io.lightd.runtime.stats;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One small kernel file (a cgroup or {@code /proc} file) read again and again: opened once and kept
 * open, each read a positional read from offset 0, which makes the kernel generate the file afresh.
 * That is one system call a read instead of four (open, fstat, read, close) and no
 * {@code NoSuchFileException} per read for a file this kernel does not have.
 *
 * <p>Read by one thread at a time; {@link #close} may come from another (reads and close are
 * synchronized, uncontended in practice). Closing releases the file, which for a cgroup lets the
 * kernel free the cgroup once its container is gone.
 */
final class KernelFile implements AutoCloseable {

    /** Larger than any of the files read (a {@code memory.stat} is about 1 KiB). */
    private static final int MAX_BYTES = 64 * 1024;

    private final Path path;
    private FileChannel channel;
    private ByteBuffer buffer;
    private boolean closed;

    KernelFile(Path path) {
        this.path = path;
    }

    Path path() {
        return path;
    }

    /** The file's text now (ASCII); throws {@link NoSuchFileException} when the file is not there. */
    synchronized String read() throws IOException {
        if (closed) {
            throw new IOException(path + " is closed");
        }
        if (channel == null) {
            channel = FileChannel.open(path, StandardOpenOption.READ);
            buffer = ByteBuffer.allocate(4096);
        }
        buffer.clear();
        long position = 0;
        int n;
        while ((n = channel.read(buffer, position)) > 0) {
            position += n;
            if (!buffer.hasRemaining()) {
                if (buffer.capacity() >= MAX_BYTES) {
                    break;
                }
                ByteBuffer larger = ByteBuffer.allocate(buffer.capacity() * 2);
                buffer.flip();
                larger.put(buffer);
                buffer = larger;
            }
        }
        return new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII);
    }

    /** The text, or null when the file cannot be read. */
    String readOrNull() {
        try {
            return read();
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing to do: the file is gone either way
            }
            channel = null;
        }
    }
}
