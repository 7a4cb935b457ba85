package io.lightd.protocol;

/**
 * One resource sample of a container, with the field meanings of the {@code stats} event:
 * {@code cpuUsage} in percent where 100 is one core, the rest in bytes (network and block counters cumulative).
 */
public record Stats(double cpuUsage, long memoryUsage, long memoryLimit,
                    long networkRx, long networkTx, long blockRead, long blockWrite) {

    public static final Stats ZERO = new Stats(0, 0, 0, 0, 0, 0, 0);

    /** This sample with {@code cpuUsage} rounded to 2 decimals, as it is sent and compared. */
    public Stats rounded() {
        double cpu = Double.isFinite(cpuUsage) ? Math.round(Math.max(0, cpuUsage) * 100.0) / 100.0 : 0.0;
        return cpu == cpuUsage ? this : new Stats(cpu, memoryUsage, memoryLimit, networkRx, networkTx, blockRead, blockWrite);
    }
}
