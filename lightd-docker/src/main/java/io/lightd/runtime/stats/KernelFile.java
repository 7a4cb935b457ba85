package io.lightd.runtime.stats;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One small kernel file (a cgroup or {@code /proc} file) read again and again: opened once and kept
 * open, each read a positional read from offset 0, which makes the kernel generate the file afresh.
 * That is one system call a read (not two: see {@link #fill}) instead of four (open, fstat, read,
 * close) and no {@code NoSuchFileException} per read for a file this kernel does not have. The text
 * is left as bytes ({@link #bytes()}), which the caller parses where they are.
 *
 * <p>Read by one thread at a time; {@link #close} may come from another (reads and close are
 * synchronized, uncontended in practice). Closing releases the file, which for a cgroup lets the
 * kernel free the cgroup once its container is gone.
 */
final class KernelFile implements AutoCloseable {

    /** Larger than any of the files read (a {@code memory.stat} is about 1 KiB). */
    private static final int MAX_BYTES = 64 * 1024;

    /** The buffer's first size: every file read here but a large {@code memory.stat} fits. */
    private static final int INITIAL_BYTES = 4096;

    /** Room left after a read that shows the read reached the end of the file (see {@link #fill}). */
    static final int SHORT_READ_SLACK = 1024;

    private final Path path;
    private FileChannel channel;
    /** Direct, so that a read fills it without the copy the JDK makes for a heap buffer. */
    private ByteBuffer buffer;
    /** The text of the last fill, copied out of {@link #buffer} in one bulk copy for the parser's array reads. */
    private byte[] text;
    private boolean closed;

    KernelFile(Path path) {
        this.path = path;
    }

    Path path() {
        return path;
    }

    /**
     * Reads the file as it is now into {@link #bytes()}, without making a string of it: the stats
     * sampler parses the bytes where they are.
     *
     * @return how many bytes of {@link #bytes()} the file's text is
     * @throws NoSuchFileException when the file is not there
     * @throws IOException         when it cannot be read, or this file is closed
     */
    synchronized int fill() throws IOException {
        if (closed) {
            throw new IOException(path + " is closed");
        }
        if (channel == null) {
            channel = FileChannel.open(path, StandardOpenOption.READ);
            buffer = ByteBuffer.allocateDirect(INITIAL_BYTES);
            text = new byte[INITIAL_BYTES];
        }
        buffer.clear();
        long position = 0;
        int n;
        while ((n = channel.read(buffer, position)) > 0) {
            position += n;
            if (buffer.remaining() >= SHORT_READ_SLACK) {
                // The kernel generates these files as a sequence of records (seq_file) and ends a
                // read early only at the end of the file or when its own page-sized buffer is full,
                // which leaves less room in ours than one record takes; every record of these files
                // is a line far shorter than this slack. So a read that leaves this much room
                // reached the end: no second read just to be told so.
                break;
            }
            if (!buffer.hasRemaining()) {
                if (buffer.capacity() >= MAX_BYTES) {
                    break;
                }
                ByteBuffer larger = ByteBuffer.allocateDirect(buffer.capacity() * 2);
                buffer.flip();
                larger.put(buffer);
                buffer = larger;
            }
        }
        int length = buffer.position();
        if (text.length < length) {
            text = new byte[buffer.capacity()];
        }
        buffer.flip();
        buffer.get(text, 0, length);
        return length;
    }

    /**
     * What the last {@link #fill} read, in its first bytes: valid until the next fill, on the
     * thread that filled it.
     *
     * @return the buffer itself (not a copy), longer than the text
     */
    byte[] bytes() {
        return text;
    }

    /** Like {@link #fill}, but -1 when the file cannot be read (an optional file). */
    int fillOrMinusOne() {
        try {
            return fill();
        } catch (IOException | SecurityException e) {
            return -1;
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
