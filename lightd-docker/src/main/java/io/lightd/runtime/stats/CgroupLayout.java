package io.lightd.runtime.stats;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Where this host mounts its cgroups, found once at start from {@code /proc/self/mountinfo}: the v1
 * hierarchies of the {@code cpuacct}, {@code memory} and {@code blkio} controllers, or the unified v2
 * hierarchy when those are not mounted as v1. With it, a process's cgroup folders are found from
 * {@code /proc/<pid>/cgroup}, whatever the engine's cgroup driver (cgroupfs or systemd) named them.
 *
 * <p>Immutable; {@link #detect} and {@link #of} read files (blocking).
 */
public final class CgroupLayout {

    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");
    private static final Path MEMINFO = Path.of("/proc/meminfo");

    private final int version;
    /** v1: controller name to its mount point and the mount's root within the hierarchy; v2: "" to the unified mount. */
    private final Map<String, Mount> mounts;

    private record Mount(Path mountPoint, String root) {
        Path folder(String cgroupPath) {
            String relative = cgroupPath;
            if (!root.equals("/") && relative.startsWith(root)) {
                relative = relative.substring(root.length());
            }
            return mountPoint.resolve(relative.startsWith("/") ? relative.substring(1) : relative);
        }
    }

    private CgroupLayout(int version, Map<String, Mount> mounts) {
        this.version = version;
        this.mounts = mounts;
    }

    /**
     * The cgroup version of this host's layout.
     *
     * @return 1 (the cpuacct, memory and blkio v1 controllers are mounted) or 2 (the unified hierarchy)
     */
    public int version() {
        return version;
    }

    /**
     * This host's layout, read from {@code /proc/self/mountinfo}; blocking (one small file).
     *
     * @return the layout, or null when neither v1 controllers nor v2 are mounted (or mountinfo cannot be read)
     */
    public static CgroupLayout detect() {
        try {
            return parse(Files.readString(MOUNTINFO, StandardCharsets.UTF_8));
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    /**
     * The layout a {@code /proc/self/mountinfo} text describes (see proc(5): mount id, parent id,
     * major:minor, root, mount point, options, optional fields, {@code -}, type, source, super options),
     * or null when it mounts no usable cgroups.
     *
     * @param mountinfo the whole text of a mountinfo file
     * @return v1 when all of cpuacct, memory and blkio are mounted as v1 controllers, v2 when no v1
     *         controller of those is and a {@code cgroup2} mount is, else null
     */
    public static CgroupLayout parse(String mountinfo) {
        Map<String, Mount> v1 = new HashMap<>();
        Mount v2 = null;
        for (String line : mountinfo.split("\n")) {
            String[] halves = line.split(" - ", 2);
            if (halves.length < 2) {
                continue;
            }
            String[] left = halves[0].split(" ");
            String[] right = halves[1].split(" ");
            if (left.length < 5 || right.length < 3) {
                continue;
            }
            Mount mount = new Mount(Path.of(unescape(left[4])), unescape(left[3]));
            if (right[0].equals("cgroup2")) {
                v2 = mount;
            } else if (right[0].equals("cgroup")) {
                for (String option : right[2].split(",")) {
                    if (option.equals("cpuacct") || option.equals("memory") || option.equals("blkio")) {
                        v1.put(option, mount);
                    }
                }
            }
        }
        if (v1.containsKey("cpuacct") && v1.containsKey("memory") && v1.containsKey("blkio")) {
            return new CgroupLayout(1, Map.copyOf(v1));
        }
        return v1.isEmpty() && v2 != null ? new CgroupLayout(2, Map.of("", v2)) : null;
    }

    /**
     * The cgroup folders of process {@code pid}, from {@code /proc/<pid>/cgroup}
     * ({@code "4:memory:/docker/<id>"} lines on v1, one {@code "0::/path"} line on v2). Blocking.
     *
     * @param pid the process id, as the host sees it
     * @return the cpu, memory and blkio folders of the process's cgroups on this host
     *
     * @throws IOException when the process is gone or its cgroup is not in this layout
     */
    public CgroupStats.Paths of(long pid) throws IOException {
        return paths(Files.readString(Path.of("/proc", Long.toString(pid), "cgroup"), StandardCharsets.UTF_8));
    }

    /** The folders a {@code /proc/<pid>/cgroup} text names. */
    CgroupStats.Paths paths(String procCgroup) throws IOException {
        Map<String, String> byController = new HashMap<>();
        for (String line : procCgroup.split("\n")) {
            String[] fields = line.split(":", 3);
            if (fields.length < 3) {
                continue;
            }
            if (fields[1].isEmpty()) {
                byController.put("", fields[2]);
            }
            for (String controller : fields[1].split(",")) {
                byController.put(controller, fields[2]);
            }
        }
        if (version == 2) {
            String path = byController.get("");
            if (path == null) {
                throw new IOException("no cgroup v2 line in the process's cgroup file");
            }
            return CgroupStats.Paths.v2(mounts.get("").folder(path));
        }
        Path[] folders = new Path[3];
        String[] controllers = {"cpuacct", "memory", "blkio"};
        for (int i = 0; i < controllers.length; i++) {
            String path = byController.get(controllers[i]);
            if (path == null) {
                throw new IOException("the process is in no " + controllers[i] + " cgroup");
            }
            folders[i] = mounts.get(controllers[i]).folder(path);
        }
        return new CgroupStats.Paths(1, folders[0], folders[1], folders[2]);
    }

    /**
     * The host's memory ({@code MemTotal} of {@code /proc/meminfo}, kept in KiB). Blocking.
     *
     * @return the host's memory in bytes, 0 when unreadable
     */
    public static long hostMemoryBytes() {
        try {
            for (String line : Files.readAllLines(MEMINFO, StandardCharsets.US_ASCII)) {
                if (line.startsWith("MemTotal:")) {
                    return CgroupStats.parseLong(line.substring("MemTotal:".length()).replace("kB", "")) * 1024;
                }
            }
        } catch (IOException | SecurityException e) {
            return 0;
        }
        return 0;
    }

    /** Mount points escape space, tab, newline and backslash as octal ({@code \040}). */
    private static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length()) {
                try {
                    out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                    i += 3;
                    continue;
                } catch (NumberFormatException e) {
                    // not an escape: keep the backslash
                }
            }
            out.append(c);
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return version == 1
                ? "cgroup v1 (cpuacct at " + mounts.get("cpuacct").mountPoint() + ", memory at "
                        + mounts.get("memory").mountPoint() + ", blkio at " + mounts.get("blkio").mountPoint() + ")"
                : "cgroup v2 at " + mounts.get("").mountPoint();
    }
}
