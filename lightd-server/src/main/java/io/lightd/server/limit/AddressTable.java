package io.lightd.server.limit;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-address state of one per-IP limit, bounded: it holds at most {@code capacity} addresses, and
 * {@link #evict} drops those whose state no longer matters. While it is full a new address is not
 * tracked (and so not limited) rather than refused: a table filled by many addresses must not lock
 * out the panel. Thread-safe: a value is read and changed only inside its entry's lock (in
 * {@link #update} and {@link #evict}), so it may be mutable; {@link #get} suits immutable values only.
 */
final class AddressTable<V> {

    private static final Logger log = LoggerFactory.getLogger(AddressTable.class);

    private final String name;
    private final int capacity;
    private final ConcurrentHashMap<InetAddress, V> entries = new ConcurrentHashMap<>();
    private final AtomicBoolean full = new AtomicBoolean();

    AddressTable(String name, int capacity) {
        this.name = name;
        this.capacity = capacity;
    }

    /** The remote IP of a connection; null for a connection without one (which no per-IP limit applies to). */
    static InetAddress addressOf(SocketAddress remote) {
        return remote instanceof InetSocketAddress inet ? inet.getAddress() : null;
    }

    V get(InetAddress address) {
        return address == null ? null : entries.get(address);
    }

    /**
     * Replaces the state of {@code address} with {@code next(address, current)} (current is null for a
     * new address) and returns it; null when the address is not tracked (null, or the table is full).
     */
    V update(InetAddress address, BiFunction<InetAddress, V, V> next) {
        if (address == null) {
            return null;
        }
        if (entries.size() >= capacity && !entries.containsKey(address)) {
            if (full.compareAndSet(false, true)) {
                log.warn("{}: {} addresses tracked, the most it holds; new addresses go unlimited until "
                        + "entries expire", name, capacity);
            }
            return null;
        }
        return entries.compute(address, next);
    }

    /** Drops every address whose state {@code expired} says is no longer needed. */
    void evict(Predicate<V> expired) {
        for (InetAddress address : entries.keySet()) {
            entries.computeIfPresent(address, (a, v) -> expired.test(v) ? null : v);
        }
        if (entries.size() < capacity) {
            full.set(false);
        }
    }

    int size() {
        return entries.size();
    }
}
