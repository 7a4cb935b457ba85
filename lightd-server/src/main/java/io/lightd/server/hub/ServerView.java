package io.lightd.server.hub;

import io.lightd.protocol.ContainerState;
import io.lightd.protocol.InstallState;
import io.lightd.protocol.Stats;

/**
 * One server as the node stream shows it: what it is, where it stands and what it uses now.
 * A hub publishes a new value on its own loop whenever one of these changes; any thread may read
 * the latest one ({@link ContainerHub#view()}).
 *
 * @param internalId the container's id
 * @param image the image it was created (or last reinstalled) with
 * @param installState {@code installing}, {@code installed} or {@code failed}
 * @param state the runtime state of the protocol ({@code installing} ... {@code exit})
 * @param stats the latest stats sample while the process runs, else null (cpu in percent of one
 *              core, memory in bytes, its limit the container's limit or the host's memory)
 * @param memoryLimit the configured memory limit in bytes, 0 for none
 * @param consoles WebSocket sessions watching the container now
 */
public record ServerView(String internalId, String image, InstallState installState, ContainerState state,
                         Stats stats, long memoryLimit, int consoles) {
}
