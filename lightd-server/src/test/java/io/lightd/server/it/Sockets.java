package io.lightd.server.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The TCP sockets of this process as Linux lists them ({@code /proc/self/fd}, {@code /proc/net/tcp}
 * and {@code tcp6}), told apart by side: the daemon runs in the test's JVM, so its accepted
 * connections (local port = the daemon's port) and the test's clients (remote port = the daemon's
 * port) share one descriptor table. Lets a test count what the daemon holds while its clients keep
 * their ends open.
 */
final class Sockets {

    private static final String LISTEN = "0A";

    private Sockets() {
    }

    /** One row of {@code /proc/net/tcp}: ports, state and the socket's inode. */
    private record Row(int localPort, int remotePort, String state, long inode) {
    }

    /** Accepted connections on {@code port} that the daemon still holds a descriptor for. */
    static int heldByDaemon(int port) throws IOException {
        Set<Long> ours = socketInodes();
        int held = 0;
        for (Row r : rows()) {
            if (r.localPort() == port && !r.state().equals(LISTEN) && ours.contains(r.inode())) {
                held++;
            }
        }
        return held;
    }

    /** Every descriptor of this process except the test's client sockets to {@code port}. */
    static long descriptorsOutsideClients(int port) throws IOException {
        Set<Long> clients = new HashSet<>();
        for (Row r : rows()) {
            if (r.remotePort() == port) {
                clients.add(r.inode());
            }
        }
        long count = 0;
        for (String link : descriptorLinks()) {
            Long inode = inodeOf(link);
            if (inode == null || !clients.contains(inode)) {
                count++;
            }
        }
        return count;
    }

    private static Set<Long> socketInodes() throws IOException {
        Set<Long> inodes = new HashSet<>();
        for (String link : descriptorLinks()) {
            Long inode = inodeOf(link);
            if (inode != null) {
                inodes.add(inode);
            }
        }
        return inodes;
    }

    /** The targets of {@code /proc/self/fd/*}; a descriptor closed while listing is skipped. */
    private static List<String> descriptorLinks() throws IOException {
        List<String> links = new ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    links.add(Files.readSymbolicLink(fd).toString());
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        return links;
    }

    private static Long inodeOf(String link) {
        return link.startsWith("socket:[") ? Long.parseLong(link.substring(8, link.length() - 1)) : null;
    }

    private static List<Row> rows() throws IOException {
        List<Row> rows = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path p = Path.of(table);
            if (!Files.exists(p)) {
                continue;
            }
            List<String> lines = Files.readAllLines(p);
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                rows.add(new Row(port(f[1]), port(f[2]), f[3], Long.parseLong(f[9])));
            }
        }
        return rows;
    }

    private static int port(String address) {
        return Integer.parseInt(address.substring(address.indexOf(':') + 1), 16);
    }
}
