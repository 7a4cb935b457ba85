package io.lightd.server.hub;

import io.lightd.runtime.ContainerRuntime;

/** Lets tests outside this package use the hand-driven runtime. */
public final class FakeRuntimeAccess {
    public ContainerRuntime runtime() {
        return new FakeRuntime();
    }

    /** What {@code runtime} (made by {@link #runtime()}) was asked to do, oldest first: "start c-1", "stdin c-1", .... */
    public java.util.List<String> calls(ContainerRuntime runtime) {
        synchronized (runtime) {
            return java.util.List.copyOf(((FakeRuntime) runtime).calls);
        }
    }
}
