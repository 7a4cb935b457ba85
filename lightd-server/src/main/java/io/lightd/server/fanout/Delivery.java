package io.lightd.server.fanout;

/**
 * How hubs deliver frames to a subscriber: frames that may be dropped (console, stats) are skipped
 * while its channel is unwritable, and counted on the subscriber so its session can tell the client
 * once it drains.
 */
final class Delivery {

    private Delivery() {
    }

    /** True when a droppable frame may be written now; otherwise counts one skipped message. Channel loop. */
    static boolean admitDroppable(Subscriber subscriber, boolean countSkip) {
        if (subscriber.channel().isWritable()) {
            return true;
        }
        if (countSkip) {
            subscriber.skipped();
        }
        return false;
    }
}
