package io.lightd.server.hub;

/**
 * Hears that a container's {@link ServerView} changed (or went away with the container). Called on
 * the container's hub loop, so an implementation only records the id and returns at once; it reads
 * the view later, from any thread, through {@link ContainerManager#view(String)}.
 */
@FunctionalInterface
public interface HubObserver {

    /** Observes nothing: the default until someone watches the node. */
    HubObserver NONE = id -> { };

    /**
     * The view of a container changed, or the container was deleted. On the container's hub loop;
     * must return at once and must not call back into the hub.
     *
     * @param internalId the container's {@code internal_id}
     */
    void viewChanged(String internalId);
}
