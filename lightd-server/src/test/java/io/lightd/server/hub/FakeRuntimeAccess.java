package io.lightd.server.hub;

import io.lightd.runtime.ContainerRuntime;

/** Lets tests outside this package use the hand-driven runtime. */
public final class FakeRuntimeAccess {
    public ContainerRuntime runtime() {
        return new FakeRuntime();
    }
}
