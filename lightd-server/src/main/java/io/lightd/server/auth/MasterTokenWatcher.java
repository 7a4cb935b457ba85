package io.lightd.server.auth;

import io.lightd.server.config.ConfigException;
import io.lightd.server.config.ConfigKeys;
import io.lightd.server.config.ConfigLoader;
import io.lightd.server.credential.Tokens;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a running daemon's master token in step with {@code authorization.token} in its
 * configuration file, so {@code lightd --token reset} (or {@code set}), run beside the daemon,
 * takes effect at once: the old token stops opening connections and the WebSocket sessions opened
 * with it close with 4003. The file's folder is watched by the operating system's file events on a
 * thread of its own, never an event loop; the file is re-read only when it changed. A changed file
 * that cannot be read, or whose token breaks the master token's rules, leaves the token as it was.
 */
public final class MasterTokenWatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MasterTokenWatcher.class);

    private final Path file;
    private final TokenStore tokens;
    private final WatchService watcher;

    private MasterTokenWatcher(Path file, TokenStore tokens, WatchService watcher) {
        this.file = file;
        this.tokens = tokens;
        this.watcher = watcher;
    }

    /** Starts watching {@code configFile} for the daemon whose tokens are {@code tokens}. */
    public static MasterTokenWatcher start(Path configFile, TokenStore tokens) throws IOException {
        Path file = configFile.toAbsolutePath().normalize();
        WatchService watcher = file.getFileSystem().newWatchService();
        try {
            // The file is replaced by a rename (a create event) or edited in place (a modify event).
            file.getParent().register(watcher, StandardWatchEventKinds.ENTRY_CREATE,
                    StandardWatchEventKinds.ENTRY_MODIFY);
        } catch (IOException e) {
            watcher.close();
            throw e;
        }
        MasterTokenWatcher w = new MasterTokenWatcher(file, tokens, watcher);
        Thread thread = new Thread(w::watch, "lightd-config-watch");
        thread.setDaemon(true);
        thread.start();
        return w;
    }

    private void watch() {
        try {
            while (true) {
                WatchKey key = watcher.take();
                boolean changed = false;
                for (WatchEvent<?> event : key.pollEvents()) {
                    changed |= event.kind() == StandardWatchEventKinds.OVERFLOW
                            || file.getFileName().equals(event.context());
                }
                if (changed) {
                    reload();
                }
                if (!key.reset()) {
                    log.warn("{} can no longer be watched; a changed master token needs a restart", file.getParent());
                    return;
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // Closed: the daemon is stopping.
        }
    }

    private void reload() {
        String token;
        try {
            token = ConfigKeys.AUTHORIZATION_TOKEN.read(ConfigLoader.read(file));
        } catch (ConfigException | RuntimeException e) {
            log.warn("{} changed but cannot be read ({}); the master token stays as it was", file, e.getMessage());
            return;
        }
        String problem = token == null ? "is missing" : Tokens.masterTokenProblem(token);
        if (problem != null) {
            log.warn("{} changed but its authorization.token {}; the master token stays as it was", file, problem);
            return;
        }
        if (tokens.replaceMaster(token)) {
            log.info("master token replaced from {}; sessions opened with the old one are closed", file);
        }
    }

    @Override
    public void close() {
        try {
            watcher.close();
        } catch (IOException e) {
            log.debug("closing the watch of {}: {}", file, e.toString());
        }
    }
}
