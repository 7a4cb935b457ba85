package io.lightd.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

/** The {@code containers} and {@code permissions} of a console token. */
class ConsoleScopeTest {

    private static JsonElement json(String s) {
        return JsonParser.parseString(s);
    }

    @Test
    void absentFieldsMeanEveryContainerAndEveryPermission() {
        ConsoleScope s = ConsoleScope.fromJson(null, null);
        assertThat(s.isUnrestricted()).isTrue();
        assertThat(s.covers("anything")).isTrue();
        assertThat(s.containersJson().isJsonNull()).isTrue();
        assertThat(s.permissionsJson().toString())
                .isEqualTo("[\"console\",\"command\",\"power.start\",\"power.stop\",\"power.restart\",\"power.kill\"]");
    }

    @Test
    void powerStandsForTheFourAndConsoleIsAlwaysImplied() {
        ConsoleScope s = ConsoleScope.fromJson(json("[\"a\",\"b\"]"), json("[\"power\"]"));
        assertThat(s.covers("a")).isTrue();
        assertThat(s.covers("c")).isFalse();
        assertThat(s.permissionsJson().toString())
                .isEqualTo("[\"console\",\"power.start\",\"power.stop\",\"power.restart\",\"power.kill\"]");
        assertThat(ConsoleScope.fromJson(null, json("[\"console\"]")).permissionsJson().toString())
                .isEqualTo("[\"console\"]");
    }

    @Test
    void unknownPermissionsEmptyListsAndBadIdsAreRefusedWithTheirField() {
        assertThatThrownBy(() -> ConsoleScope.fromJson(null, json("[\"power.explode\"]")))
                .hasMessageStartingWith("permissions: unknown permission \"power.explode\"");
        assertThatThrownBy(() -> ConsoleScope.fromJson(null, json("[]"))).hasMessageStartingWith("permissions must not be empty");
        assertThatThrownBy(() -> ConsoleScope.fromJson(json("[]"), null)).hasMessageStartingWith("containers must not be empty");
        assertThatThrownBy(() -> ConsoleScope.fromJson(json("[\"../etc\"]"), null))
                .hasMessageStartingWith("containers: invalid id");
        assertThatThrownBy(() -> ConsoleScope.fromJson(json("\"a\""), null)).hasMessage("containers must be a list of strings");
        assertThatThrownBy(() -> ConsoleScope.fromJson(null, json("[1]"))).hasMessage("permissions must be a list of strings");
    }
}
