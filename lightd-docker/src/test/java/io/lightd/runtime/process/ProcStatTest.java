package io.lightd.runtime.process;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProcStatTest {

    @Test
    void parsesTheFieldsAfterACommandNameWithSpacesAndParentheses() {
        String line = "4242 (my (odd) name) S 4200 4242 4242 0 -1 4194560 120 0 0 0 "
                + "17 5 0 0 20 0 1 0 987654 10485760 1234 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0";

        ProcStat stat = ProcStat.parse(line);

        assertThat(stat).isEqualTo(new ProcStat('S', 4242, 17, 5, 987654));
        assertThat(stat.cpuTicks()).isEqualTo(22);
        assertThat(stat.zombie()).isFalse();
    }

    @Test
    void recognisesAZombie() {
        ProcStat stat = ProcStat.parse("7 (sh) Z 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 55 0 0");

        assertThat(stat.zombie()).isTrue();
        assertThat(stat.startTicks()).isEqualTo(55);
    }

    @Test
    void refusesWhatIsNotAStatLine() {
        assertThat(ProcStat.parse(null)).isNull();
        assertThat(ProcStat.parse("")).isNull();
        assertThat(ProcStat.parse("12 (sh)")).isNull();
        assertThat(ProcStat.parse("12 (sh) S 1 x 12 0")).isNull();
    }
}
