package io.lightd.runtime;

/** The runtime has no container of that internal id. */
public final class ContainerNotFoundException extends RuntimeException {

    public ContainerNotFoundException(String internalId) {
        super("no runtime container for " + internalId);
    }
}
