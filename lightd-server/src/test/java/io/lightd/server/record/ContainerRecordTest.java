package io.lightd.server.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The create body's {@code tty}: its default, its validation, and records stored before it existed. */
class ContainerRecordTest {

    private static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");

    private static JsonObject body(String extra) {
        return JsonParser.parseString("{\"internal_id\":\"srv-1\",\"image\":\"img\",\"startup_command\":\"true\""
                + extra + "}").getAsJsonObject();
    }

    @Test
    void aCreateBodyWithoutTtyGetsATerminal() {
        ContainerRecord record = ContainerRecord.fromCreateBody(body(""), NOW);
        assertThat(record.tty()).isTrue();
        assertThat(record.toSpec().tty()).isTrue();
        assertThat(record.toJson().get("tty").getAsBoolean()).isTrue();
    }

    @Test
    void ttyFalseKeepsPipes() {
        ContainerRecord record = ContainerRecord.fromCreateBody(body(",\"tty\":false"), NOW);
        assertThat(record.tty()).isFalse();
        assertThat(record.toSpec().tty()).isFalse();
    }

    @Test
    void aTtyThatIsNotABooleanIsRefusedWithItsName() {
        assertThatThrownBy(() -> ContainerRecord.fromCreateBody(body(",\"tty\":\"yes\""), NOW))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("tty must be true or false");
    }

    @Test
    void aStoredRecordKeepsItsTtyAndOneStoredBeforeTtyExistedKeepsPipes() {
        JsonObject stored = ContainerRecord.fromCreateBody(body(""), NOW).toJson();
        assertThat(ContainerRecord.fromStoredJson(stored).tty()).isTrue();
        stored.remove("tty");
        ContainerRecord old = ContainerRecord.fromStoredJson(stored);
        assertThat(old.tty()).isFalse();
        assertThat(old.toSpec().tty()).isFalse();
        assertThat(old.withStates(old.installState(), old.state(), NOW).tty()).isFalse();
    }
}
