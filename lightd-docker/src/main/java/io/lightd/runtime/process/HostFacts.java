package io.lightd.runtime.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the process runtime needs to know about the host, read once at start-up: its total memory
 * (the memory limit reported for a container without one) and the clock tick rate that
 * {@code /proc/<pid>/stat} counts CPU time in.
 */
record HostFacts(long memoryBytes, long clockTicksPerSecond) {

    private static final Logger logger = LoggerFactory.getLogger(HostFacts.class);

    /**
     * Linux fixes USER_HZ at 100 on every common architecture; {@code getconf} is still asked, as the
     * C library knows the exceptions.
     */
    static final long DEFAULT_CLOCK_TICKS_PER_SECOND = 100;

    private static final Path MEMINFO = Path.of("/proc/meminfo");

    /** Reads the facts; blocking (a file read and one short-lived {@code getconf}). */
    static HostFacts read() {
        return new HostFacts(readMemoryBytes(), readClockTicksPerSecond());
    }

    private static long readMemoryBytes() {
        try {
            for (String line : Files.readAllLines(MEMINFO, StandardCharsets.US_ASCII)) {
                if (line.startsWith("MemTotal:")) {
                    // "MemTotal:       16318460 kB": the kernel always counts this in KiB.
                    String kib = line.substring("MemTotal:".length()).replace("kB", "").trim();
                    return Long.parseLong(kib) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            logger.warn("cannot read host memory from {}: {}", MEMINFO, e.toString());
        }
        return 0;
    }

    private static long readClockTicksPerSecond() {
        try {
            Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            getconf.getOutputStream().close();
            String output = new String(getconf.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            if (getconf.waitFor(5, TimeUnit.SECONDS) && getconf.exitValue() == 0) {
                long ticks = Long.parseLong(output);
                if (ticks > 0) {
                    return ticks;
                }
            }
        } catch (IOException | NumberFormatException e) {
            logger.debug("getconf CLK_TCK failed ({}), assuming {}", e.toString(), DEFAULT_CLOCK_TICKS_PER_SECOND);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return DEFAULT_CLOCK_TICKS_PER_SECOND;
    }
}
