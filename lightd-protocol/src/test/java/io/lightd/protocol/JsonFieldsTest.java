package io.lightd.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

/** Each field kind: present, absent or null, and each refusal with its user-facing text. */
class JsonFieldsTest {

    private static JsonObject json(String text) {
        return JsonParser.parseString(text).getAsJsonObject();
    }

    @Test
    void strings() {
        JsonObject o = json("{\"a\":\"x\",\"n\":null,\"num\":1,\"blank\":\" \"}");
        assertThat(JsonFields.requiredString(o, "a")).isEqualTo("x");
        assertThatThrownBy(() -> JsonFields.requiredString(o, "n")).hasMessage("n is required");
        assertThatThrownBy(() -> JsonFields.requiredString(o, "gone")).hasMessage("gone is required");
        assertThatThrownBy(() -> JsonFields.requiredString(o, "blank")).hasMessage("blank must be a non-empty string");
        assertThatThrownBy(() -> JsonFields.requiredString(o, "num")).hasMessage("num must be a non-empty string");
        assertThat(JsonFields.optionalString(o, "a")).isEqualTo("x");
        assertThat(JsonFields.optionalString(o, "n")).isNull();
        assertThat(JsonFields.optionalString(o, "blank")).isEqualTo(" ");
        assertThatThrownBy(() -> JsonFields.optionalString(o, "num")).hasMessage("num must be a string");
    }

    @Test
    void booleans() {
        JsonObject o = json("{\"t\":true,\"f\":false,\"s\":\"true\"}");
        assertThat(JsonFields.optionalBoolean(o, "t", false)).isTrue();
        assertThat(JsonFields.optionalBoolean(o, "f", true)).isFalse();
        assertThat(JsonFields.optionalBoolean(o, "gone", true)).isTrue();
        assertThatThrownBy(() -> JsonFields.optionalBoolean(o, "s", false)).hasMessage("s must be true or false");
    }

    @Test
    void integers() {
        JsonObject o = json("{\"ok\":7,\"whole\":7.0,\"frac\":7.5,\"neg\":-1,\"big\":1e30,\"text\":\"7\",\"n\":null}");
        assertThat(JsonFields.integer(o, "ok", "x.ok", 0, 0, 10)).isEqualTo(7);
        assertThat(JsonFields.integer(o, "whole", "x.whole", 0, 0, 10)).isEqualTo(7);
        assertThat(JsonFields.integer(o, "n", "x.n", 3, 0, 10)).isEqualTo(3);
        assertThat(JsonFields.integer(o, "gone", "x.gone", 3, 0, 10)).isEqualTo(3);
        assertThatThrownBy(() -> JsonFields.integer(o, "frac", "x.frac", 0, 0, 10))
                .hasMessage("x.frac must be an integer from 0 to 10");
        assertThatThrownBy(() -> JsonFields.integer(o, "ok", "x.ok", 0, 0, 5))
                .hasMessage("x.ok must be an integer from 0 to 5");
        assertThatThrownBy(() -> JsonFields.integer(o, "text", "x.text", 0, 0, 10))
                .hasMessage("x.text must be an integer from 0 to 10");
        assertThatThrownBy(() -> JsonFields.integer(o, "neg", "limits.disk", 0, 0, Long.MAX_VALUE))
                .hasMessage("limits.disk must be a non-negative integer");
        assertThatThrownBy(() -> JsonFields.integer(o, "big", "limits.disk", 0, 0, Long.MAX_VALUE))
                .hasMessage("limits.disk must be a non-negative integer");
    }
}
