package io.lightd.runtime.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The container environment: the init's process-group setting cannot be set twice or turned off by a server's env. */
class EngineContainersTest {

    @Test
    void aServersOwnTiniKillProcessGroupIsOverriddenNotStoredTwice() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("A", "1");
        env.put("TINI_KILL_PROCESS_GROUP", "0");
        assertThat(EngineContainers.environment(env)).containsExactly("A=1", "TINI_KILL_PROCESS_GROUP=1");
    }

    @Test
    void otherEntriesAreKeptInOrderBeforeTheInitsSetting() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("B", "x=y");
        env.put("A", "");
        assertThat(EngineContainers.environment(env)).containsExactly("B=x=y", "A=", "TINI_KILL_PROCESS_GROUP=1");
    }
}
