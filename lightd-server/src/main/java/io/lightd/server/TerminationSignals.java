package io.lightd.server;

import java.util.concurrent.CompletableFuture;
import sun.misc.Signal;

/**
 * Turns SIGTERM (what systemd and {@code Process.destroy()} send) and SIGINT into an ordinary stop.
 * Left to the JVM, either signal runs the shutdown hooks and then exits with 128 + the signal
 * number (143 for SIGTERM), so a clean stop would look like a failure to systemd and to scripts.
 * Handled here, the signal completes a future the main thread waits on; the main thread then shuts
 * the daemon down and exits 0. {@code sun.misc.Signal} (module {@code jdk.unsupported}) is the
 * JDK's only way to handle a signal and is kept for exactly this use.
 */
final class TerminationSignals {

    private TerminationSignals() {
    }

    /**
     * Completes {@code stop} with the signal's name on SIGTERM or SIGINT. A signal that cannot be
     * handled (the JVM was started with {@code -Xrs}) keeps its default: the shutdown hook stops the
     * daemon and the JVM exits with 128 + the signal number.
     */
    static void completeOnSignal(CompletableFuture<String> stop) {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), signal -> stop.complete("SIG" + signal.getName()));
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                // Left to the JVM's default handling.
            }
        }
    }
}
