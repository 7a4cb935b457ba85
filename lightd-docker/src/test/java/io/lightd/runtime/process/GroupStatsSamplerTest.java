package io.lightd.runtime.process;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GroupStatsSamplerTest {

    @Test
    void readsKeyedNumbersOfStatusAndIoFiles() {
        String status = "Name:\tsh\nVmPeak:\t    2480 kB\nVmRSS:\t     896 kB\nThreads:\t1\n";
        String io = "rchar: 1\nwchar: 2\nread_bytes: 4096\nwrite_bytes: 8192\ncancelled_write_bytes: 0\n";

        assertThat(GroupStatsSampler.fieldValue(status, "VmRSS:")).isEqualTo(896);
        assertThat(GroupStatsSampler.fieldValue(status, "Name:")).isZero();
        assertThat(GroupStatsSampler.fieldValue(io, "read_bytes:")).isEqualTo(4096);
        assertThat(GroupStatsSampler.fieldValue(io, "write_bytes:")).isEqualTo(8192);
        assertThat(GroupStatsSampler.fieldValue(io, "missing:")).isZero();
    }
}
