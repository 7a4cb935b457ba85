package io.lightd.runtime;

/** The runtime has no container of that internal id. */
public final class ContainerNotFoundException extends RuntimeException {

    /**
     * Creates the exception; its message is {@code no runtime container for <internalId>}.
     *
     * @param internalId the {@code internal_id} the runtime does not know
     */
    public ContainerNotFoundException(String internalId) {
        super("no runtime container for " + internalId);
    }
}
