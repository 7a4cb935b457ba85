package io.lightd.runtime.process;

import io.lightd.runtime.InstallListener;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of a container's install script, {@code /bin/sh <script file>} in the volume. Its stdin is
 * closed at once, so a script that prompts reads end-of-file instead of waiting forever. The script
 * file is the runtime's temporary copy and is deleted once the script has exited.
 *
 * <p>Threads: as {@link ChildProcess}. Its result is {@link #ended}.
 */
final class InstallProcess extends ChildProcess {

    private static final Logger logger = LoggerFactory.getLogger(InstallProcess.class);

    private volatile Path script;

    InstallProcess(String id, EventExecutor loop, InstallListener listener, BlockingExecutor blocking,
                   ConcurrentMap<String, ChildProcess> table) {
        super(id, loop, listener, blocking, table);
    }

    /** The temporary script file, deleted after the script exited (or failed to start). */
    void script(Path file) {
        script = file;
    }

    @Override
    String kind() {
        return "install";
    }

    @Override
    void afterStart(Process started) {
        try {
            started.getOutputStream().close();
        } catch (IOException e) {
            logger.debug("container {}: closing the install script's stdin failed: {}", id, e.toString());
        }
    }

    @Override
    void afterExit(int exitCode) {
        deleteScript();
    }

    @Override
    void onEnded(int exitCode) {
        // The install's listener hears the result through the install's future.
    }

    void deleteScript() {
        Path file = script;
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            logger.warn("container {}: cannot delete install script {}: {}", id, file, e.toString());
        }
    }
}
