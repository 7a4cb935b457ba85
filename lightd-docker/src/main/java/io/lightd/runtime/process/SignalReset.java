package io.lightd.runtime.process;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The command prefix that starts a child with every signal at its default disposition:
 * {@code env --default-signal} (GNU coreutils 9.0 and later), which resets what the daemon itself
 * inherited as ignored and then executes the command in the same process. A signal ignored at
 * {@code exec} stays ignored, and a shell cannot trap a signal that was ignored when it started, so
 * a daemon run under {@code nohup} (SIGHUP ignored) or from a non-interactive script's {@code &}
 * (SIGINT and SIGQUIT ignored) would leave its servers deaf to those stop signals.
 *
 * <p>Chosen over native code (no {@code posix_spawnattr_setsigdefault} from Java without JNI or FFM)
 * and over a shell {@code trap - INT} (a shell cannot un-ignore a signal ignored at its start).
 */
final class SignalReset {

    private static final Logger logger = LoggerFactory.getLogger(SignalReset.class);
    private static final long PROBE_TIMEOUT_SECONDS = 5;

    private SignalReset() {
    }

    /**
     * {@code [<env>, --default-signal]} when the {@code env} on {@code path} supports it (checked once
     * by running it; blocking), else empty with a warning: servers then inherit the daemon's ignored
     * signals.
     */
    static List<String> find(String path) {
        String env;
        try {
            env = ProcessRuntime.findExecutable("env", path);
        } catch (IllegalStateException e) {
            logger.warn("process runtime: no env on the PATH; servers inherit the signals the daemon ignores");
            return List.of();
        }
        List<String> prefix = List.of(env, "--default-signal");
        try {
            Process probe = new ProcessBuilder(prefix.get(0), prefix.get(1), "true")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            probe.getOutputStream().close();
            if (probe.waitFor(PROBE_TIMEOUT_SECONDS, TimeUnit.SECONDS) && probe.exitValue() == 0) {
                return prefix;
            }
            probe.destroyForcibly();
        } catch (IOException e) {
            // reported below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        logger.warn("process runtime: {} does not support --default-signal (coreutils 9.0 or later); servers "
                + "inherit the signals the daemon ignores", env);
        return List.of();
    }
}
