package io.lightd.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** A registry write that keeps failing costs one ERROR line a minute, not one per write. */
class JsonFileStoreTest {

    @TempDir
    Path dir;

    @Test
    void aWriteFailingAgainAndAgainIsLoggedOnce() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(JsonFileStore.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        try {
            // Its folder is a plain file: every write fails the same way.
            Path notAFolder = Files.writeString(dir.resolve("plain"), "");
            JsonFileStore store = new JsonFileStore(notAFolder.resolve("x.json"), Runnable::run,
                    JsonObject::new);
            for (int i = 0; i < 5; i++) {
                try {
                    store.save().join();
                } catch (CompletionException e) {
                    assertThat(e.getCause()).isInstanceOf(StorageException.class);
                }
            }
            assertThat(logged.list).hasSize(1);
            assertThat(logged.list.get(0).getLevel()).isEqualTo(Level.ERROR);
            assertThat(logged.list.get(0).getFormattedMessage()).contains("x.json");
        } finally {
            logger.detachAppender(logged);
        }
    }
}
