package io.lightd.runtime;

/** Receives what an install shows the user: the install script's output and progress messages. */
public interface InstallListener extends OutputListener {

    /**
     * A progress line for the user (image pull and the like), sent as a {@code daemon_message}.
     *
     * @param message one line of text without a trailing newline
     */
    void onProgress(String message);
}
