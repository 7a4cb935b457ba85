package io.lightd.server.hub;

import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * What a hub test runs on: an embedded loop whose clock moves only when the test moves it, and the
 * subscriber channels the test opens on a hub, all released by {@link #close}. Test thread only.
 */
final class HubClients {

    /** The hub's loop; its ticker is frozen. */
    final EmbeddedChannel loop = new EmbeddedChannel();
    private final List<EmbeddedChannel> clients = new ArrayList<>();

    HubClients() {
        loop.freezeTime();
    }

    /** A new subscriber channel of {@code hub}, with an id of its own. */
    EmbeddedChannel subscribe(ContainerHub hub) {
        EmbeddedChannel c = new EmbeddedChannel(DefaultChannelId.newInstance());
        clients.add(c);
        hub.subscribe(c);
        return c;
    }

    /** Releases every subscriber channel and the loop, with what they still hold. */
    void close() {
        for (EmbeddedChannel c : clients) {
            c.finishAndReleaseAll();
        }
        loop.finishAndReleaseAll();
    }
}
