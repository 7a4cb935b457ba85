package io.lightd.protocol;

/**
 * One resource sample of a container, with the field meanings of the {@code stats} event:
 * {@code cpuUsage} in percent where 100 is one core, the rest in bytes (network and block counters cumulative).
 *
 * @param cpuUsage    CPU use over the last sampling interval, in percent of one core (200 is two full cores)
 * @param memoryUsage memory in use, in bytes
 * @param memoryLimit the memory limit as the runtime reports it, in bytes
 * @param networkRx   network bytes received, a cumulative counter (0 where the runtime cannot measure it)
 * @param networkTx   network bytes sent, a cumulative counter (0 where the runtime cannot measure it)
 * @param blockRead   bytes read from block devices, a cumulative counter
 * @param blockWrite  bytes written to block devices, a cumulative counter
 */
public record Stats(double cpuUsage, long memoryUsage, long memoryLimit,
                    long networkRx, long networkTx, long blockRead, long blockWrite) {

    /** A sample with every field zero. */
    public static final Stats ZERO = new Stats(0, 0, 0, 0, 0, 0, 0);

    /**
     * This sample with {@code cpuUsage} rounded to 2 decimals, as it is sent and compared; a negative
     * value becomes 0, and so does NaN or an infinity.
     *
     * @return this instance when already rounded, else a copy with the rounded value
     */
    public Stats rounded() {
        double cpu = Double.isFinite(cpuUsage) ? Math.round(Math.max(0, cpuUsage) * 100.0) / 100.0 : 0.0;
        return cpu == cpuUsage ? this : new Stats(cpu, memoryUsage, memoryLimit, networkRx, networkTx, blockRead, blockWrite);
    }
}
