package io.lightd.runtime.docker;

import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * Keeps the last {@code max} bytes of a log read in pieces. Synchronized: pieces arrive on an event
 * loop, the result is taken on whatever thread completes the read.
 */
final class LogTailBuffer {

    private final int max;
    private final ArrayDeque<byte[]> parts = new ArrayDeque<>();
    private int size;

    LogTailBuffer(int max) {
        this.max = max;
    }

    synchronized void add(byte[] bytes) {
        parts.addLast(bytes);
        size += bytes.length;
        while (size - parts.peekFirst().length >= max) {
            size -= parts.removeFirst().length;
        }
    }

    synchronized byte[] toByteArray() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(size);
        for (byte[] part : parts) {
            out.write(part, 0, part.length);
        }
        byte[] all = out.toByteArray();
        return all.length <= max ? all : Arrays.copyOfRange(all, all.length - max, all.length);
    }
}
