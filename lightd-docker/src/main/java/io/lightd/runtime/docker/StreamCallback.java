package io.lightd.runtime.docker;

import com.github.dockerjava.api.async.ResultCallback;
import java.io.Closeable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A docker-java stream callback that does nothing it is not told to. Unlike docker-java's
 * {@code ResultCallbackTemplate} it logs no stack trace per error, holds no latches, and leaves the
 * connection to whoever opened it ({@link SharedGroupExecFactory#openStream} returns it).
 * Called on the stream's event loop.
 */
abstract class StreamCallback<T> implements ResultCallback<T> {

    private static final Logger log = LoggerFactory.getLogger(StreamCallback.class);

    @Override
    public void onStart(Closeable closeable) {
    }

    @Override
    public void onError(Throwable throwable) {
        log.debug("stream error: {}", throwable.toString());
    }

    @Override
    public void onComplete() {
    }

    @Override
    public void close() {
    }
}
