package io.lightd.runtime.docker;

import java.util.concurrent.CompletableFuture;

/**
 * The callback of a finite engine stream (an image pull, a log read) that {@link EngineCalls#readToEnd}
 * reads to its end: the items arrive in {@link #onNext}, the end of the stream yields
 * {@link #completed()}, and a connection the engine closes before that end yields {@link #closedEarly()}.
 * A subclass may {@link #fail} at any item (an error the engine reports inside the stream).
 *
 * <p>Threads: the callbacks run on the stream's event loop; {@link #result()} may be read from any thread.
 *
 * @param <I> the docker-java item type of the stream
 * @param <T> what the whole stream yields
 */
abstract class OneShotStream<I, T> extends StreamCallback<I> {

    private final CompletableFuture<T> result = new CompletableFuture<>();

    /** The stream's value once it ended; fails with the stream's error. */
    final CompletableFuture<T> result() {
        return result;
    }

    /** What the stream yields when the engine ends it. */
    protected abstract T completed();

    /**
     * What the stream yields when its connection closed before the engine ended it; by default a
     * failure naming {@code what} the stream was.
     */
    protected T closedEarly() {
        throw new IllegalStateException("the engine closed the " + what() + " stream");
    }

    /** What the stream is, in a few words ({@code "pull"}, {@code "logs"}), for its error texts. */
    protected abstract String what();

    /** Ends the stream with {@code error} (an error reported inside the stream). */
    protected final void fail(Throwable error) {
        result.completeExceptionally(error);
    }

    @Override
    public final void onError(Throwable throwable) {
        result.completeExceptionally(throwable);
    }

    @Override
    public final void onComplete() {
        end(true);
    }

    /** The stream's connection closed: ends the stream unless it ended already. */
    final void connectionClosed() {
        end(false);
    }

    private void end(boolean byEngine) {
        if (result.isDone()) {
            return;
        }
        try {
            result.complete(byEngine ? completed() : closedEarly());
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
        }
    }
}
