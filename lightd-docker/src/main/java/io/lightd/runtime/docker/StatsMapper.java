package io.lightd.runtime.docker;

import com.github.dockerjava.api.model.BlkioStatEntry;
import com.github.dockerjava.api.model.BlkioStatsConfig;
import com.github.dockerjava.api.model.CpuStatsConfig;
import com.github.dockerjava.api.model.MemoryStatsConfig;
import com.github.dockerjava.api.model.StatisticNetworksConfig;
import com.github.dockerjava.api.model.Statistics;
import com.github.dockerjava.api.model.StatsConfig;
import io.lightd.protocol.Stats;
import java.util.List;
import java.util.Map;

/**
 * Turns one engine stats sample into lightd's {@link Stats}, computed as {@code docker stats}
 * does: CPU percent from the deltas against the previous sample, memory without the inactive file
 * cache, network and block I/O summed over interfaces and devices. Absent parts count as 0.
 * Stateless.
 */
final class StatsMapper {

    private StatsMapper() {
    }

    static Stats map(Statistics s) {
        MemoryStatsConfig memory = s.getMemoryStats();
        return new Stats(cpuPercent(s.getCpuStats(), s.getPreCpuStats()),
                memoryUsed(memory),
                memory == null ? 0 : value(memory.getLimit()),
                networkSum(s.getNetworks(), true),
                networkSum(s.getNetworks(), false),
                blockSum(s.getBlkioStats(), true),
                blockSum(s.getBlkioStats(), false)).rounded();
    }

    /** 100 = one core; 0 unless both the container and the system deltas are positive. */
    static double cpuPercent(CpuStatsConfig now, CpuStatsConfig before) {
        if (now == null || before == null || now.getCpuUsage() == null || before.getCpuUsage() == null) {
            return 0;
        }
        double cpuDelta = value(now.getCpuUsage().getTotalUsage()) - value(before.getCpuUsage().getTotalUsage());
        double systemDelta = value(now.getSystemCpuUsage()) - value(before.getSystemCpuUsage());
        if (cpuDelta <= 0 || systemDelta <= 0) {
            return 0;
        }
        long cpus = value(now.getOnlineCpus());
        if (cpus == 0) {
            List<Long> perCpu = now.getCpuUsage().getPercpuUsage();
            cpus = perCpu == null ? 0 : perCpu.size();
        }
        return cpuDelta / systemDelta * Math.max(cpus, 1) * 100.0;
    }

    /** usage minus {@code total_inactive_file} (cgroup v1) or {@code inactive_file} (v2), each only if smaller. */
    static long memoryUsed(MemoryStatsConfig memory) {
        if (memory == null) {
            return 0;
        }
        long usage = value(memory.getUsage());
        StatsConfig details = memory.getStats();
        if (details == null) {
            return usage;
        }
        Long v1 = details.getTotalInactiveFile();
        if (v1 != null) {
            return v1 < usage ? usage - v1 : usage;
        }
        Long v2 = details.getInactiveFile();
        return v2 != null && v2 < usage ? usage - v2 : usage;
    }

    static long networkSum(Map<String, StatisticNetworksConfig> networks, boolean received) {
        if (networks == null) {
            return 0;
        }
        long sum = 0;
        for (StatisticNetworksConfig network : networks.values()) {
            sum += value(received ? network.getRxBytes() : network.getTxBytes());
        }
        return sum;
    }

    static long blockSum(BlkioStatsConfig blkio, boolean read) {
        if (blkio == null || blkio.getIoServiceBytesRecursive() == null) {
            return 0;
        }
        char op = read ? 'r' : 'w';
        long sum = 0;
        for (BlkioStatEntry entry : blkio.getIoServiceBytesRecursive()) {
            String name = entry.getOp();
            if (name != null && !name.isEmpty() && Character.toLowerCase(name.charAt(0)) == op) {
                sum += value(entry.getValue());
            }
        }
        return sum;
    }

    private static long value(Long v) {
        return v == null ? 0 : v;
    }
}
