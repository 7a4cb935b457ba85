package io.lightd.server.hub;

import io.lightd.runtime.ContainerSpec;
import io.lightd.runtime.ImageReference;
import io.lightd.server.record.ContainerRecord;
import io.netty.util.NetUtil;
import java.util.List;

/**
 * The rules of the Docker engine that a create body must meet beyond its own shape, checked when the
 * body arrives (create, and the image of a reinstall) so that a bad value is a 400 naming its field
 * rather than an install that fails in the engine. The same rules hold on both runtimes:
 *
 * <ul>
 *   <li>{@code image}: Docker's image reference grammar ({@link ImageReference});</li>
 *   <li>{@code limits.memory}: 0 (no limit) or at least {@link #MIN_MEMORY_BYTES}, the engine's
 *       "Minimum memory limit allowed is 6MB";</li>
 *   <li>{@code limits.cpu}: 0 (no limit) or from 0.01 to the host's CPUs, the engine's "Range of CPUs
 *       is from 0.01 to N", on the value it is given ({@code NanoCPUs}, the cores × 10⁹ rounded);</li>
 *   <li>{@code ports[i].ip}: an IPv4 or IPv6 address literal (no brackets, no zone).</li>
 * </ul>
 *
 * <p>Records read back from the registry are not checked again: a host with fewer CPUs after a resize
 * still loads its servers (and the engine says what it refuses when one starts). Immutable; any thread.
 *
 * @param hostCpus the most CPUs a container may be given ({@code ContainerRuntime.hostCpus()})
 */
public record CreateRules(int hostCpus) {

    /** The smallest memory limit the engine accepts: 6 MiB. */
    public static final long MIN_MEMORY_BYTES = 6L * 1024 * 1024;
    /** The smallest CPU limit the engine accepts, in its unit (10⁻⁹ CPUs): 0.01 CPUs. */
    public static final long MIN_NANO_CPUS = 10_000_000L;
    private static final long NANOS_PER_CPU = 1_000_000_000L;

    /**
     * Checks a parsed create body. Throws {@link IllegalArgumentException} with the user-facing text
     * (starting with the field's name) for the first value the engine would refuse.
     *
     * @param r the record parsed from a create body
     */
    public void check(ContainerRecord r) {
        checkImage(r.image());
        if (r.memoryLimit() != 0 && r.memoryLimit() < MIN_MEMORY_BYTES) {
            throw new IllegalArgumentException("limits.memory must be at least 6 MiB (" + MIN_MEMORY_BYTES
                    + " bytes), or 0 for no limit (got " + r.memoryLimit() + ")");
        }
        if (r.cpuLimit() != 0) {
            long nanos = Math.round(r.cpuLimit() * NANOS_PER_CPU); // as the runtime hands it to the engine
            if (nanos < MIN_NANO_CPUS || nanos > hostCpus * NANOS_PER_CPU) {
                throw new IllegalArgumentException("limits.cpu must be from 0.01 to " + hostCpus
                        + " (the host's CPUs), or 0 for no limit (got "
                        + java.math.BigDecimal.valueOf(r.cpuLimit()).stripTrailingZeros().toPlainString() + ")");
            }
        }
        List<ContainerSpec.PortBinding> ports = r.ports();
        for (int i = 0; i < ports.size(); i++) {
            String ip = ports.get(i).ip();
            if (!isIpLiteral(ip)) {
                throw new IllegalArgumentException("ports[" + i + "].ip must be an IPv4 or IPv6 address (got \""
                        + (ip.length() > 80 ? ip.substring(0, 80) + "…" : ip) + "\")");
            }
        }
    }

    /**
     * Checks an image reference (a create's or a reinstall's); throws as {@link #check} does.
     *
     * @param image the {@code image} field
     * @throws IllegalArgumentException with the user-facing text when the engine would refuse it
     */
    public static void checkImage(String image) {
        String problem = ImageReference.problem(image);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** An address as Go's {@code net.ParseIP} reads it: dotted IPv4, or IPv6 without brackets or zone. */
    static boolean isIpLiteral(String ip) {
        if (NetUtil.isValidIpV4Address(ip)) {
            return true;
        }
        return ip.indexOf('[') < 0 && ip.indexOf('%') < 0 && NetUtil.isValidIpV6Address(ip);
    }
}
