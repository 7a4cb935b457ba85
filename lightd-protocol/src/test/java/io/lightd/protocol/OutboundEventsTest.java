package io.lightd.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class OutboundEventsTest {

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Test
    void consoleAndDuplicateCarryTheSameDataExactly() {
        String data = "Hello mate\n\r\n\ttab \"quoted\" back\\slash <html> h\u00e9 \u20ac \uD83D\uDE00\n\u0001";
        JsonObject console = JsonParser.parseString(text(OutboundEvents.console(data))).getAsJsonObject();
        JsonObject duplicate = JsonParser.parseString(text(OutboundEvents.consoleDuplicate(data))).getAsJsonObject();
        assertThat(console.get("event").getAsString()).isEqualTo("console");
        assertThat(duplicate.get("event").getAsString()).isEqualTo("console duplicate");
        assertThat(console.get("data").getAsString()).isEqualTo(data);
        assertThat(duplicate.get("data").getAsString()).isEqualTo(data);
        assertThat(console.keySet()).containsExactly("event", "data");
    }

    @Test
    void encodesTheSeedShapes() {
        assertThat(text(OutboundEvents.console("Hello mate\n"))).isEqualTo("{\"event\":\"console\",\"data\":\"Hello mate\\n\"}");
        assertThat(text(OutboundEvents.state(ContainerState.RUNNING))).isEqualTo("{\"event\":\"event\",\"data\":\"running\"}");
        assertThat(text(OutboundEvents.daemonMessage("Server started")))
                .isEqualTo("{\"event\":\"daemon_message\",\"data\":\"Server started\"}");
        assertThat(text(OutboundEvents.logs("a\nb\n"))).isEqualTo("{\"event\":\"logs\",\"data\":\"a\\nb\\n\"}");
        assertThat(text(OutboundEvents.consoleDuplicate("x"))).isEqualTo("{\"event\":\"console duplicate\",\"data\":\"x\"}");
    }

    @ParameterizedTest
    @EnumSource(ContainerState.class)
    void everyStateRoundTrips(ContainerState state) {
        JsonObject json = JsonParser.parseString(text(OutboundEvents.state(state))).getAsJsonObject();
        assertThat(ContainerState.fromWireName(json.get("data").getAsString())).contains(state);
    }

    @Test
    void statsHasSevenNumericFieldsAtTopLevel() {
        Stats stats = new Stats(25.5, 134217728, 536870912, 1024, 2048, 4096, 8192);
        JsonObject json = JsonParser.parseString(text(OutboundEvents.stats(stats))).getAsJsonObject();
        assertThat(json.keySet()).containsExactly("event", "cpu_usage", "memory_usage", "memory_limit",
                "network_rx", "network_tx", "block_read", "block_write");
        assertThat(json.get("event").getAsString()).isEqualTo("stats");
        assertThat(json.get("cpu_usage").getAsDouble()).isEqualTo(25.5);
        assertThat(json.get("memory_usage").getAsLong()).isEqualTo(134217728L);
        assertThat(json.get("memory_limit").getAsLong()).isEqualTo(536870912L);
        assertThat(json.get("network_rx").getAsLong()).isEqualTo(1024L);
        assertThat(json.get("network_tx").getAsLong()).isEqualTo(2048L);
        assertThat(json.get("block_read").getAsLong()).isEqualTo(4096L);
        assertThat(json.get("block_write").getAsLong()).isEqualTo(8192L);
        for (String key : json.keySet()) {
            if (!key.equals("event")) {
                assertThat(json.get(key).getAsJsonPrimitive().isNumber()).as(key).isTrue();
            }
        }
        assertThat(text(OutboundEvents.stats(stats))).doesNotContain(" ");
    }

    @Test
    void decodedCommandEncodesBackToTheSameText() {
        String command = "say \u00e9\u20ac\uD83D\uDE00 \"hi\"\n";
        String json = "{\"event\":\"send_command\",\"command\":" + com.google.gson.JsonParser.parseString(
                "\"" + command.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"") + "}";
        DecodeResult result = InboundDecoder.decode(json, 4096);
        String echoed = ((InboundEvent.SendCommand) ((DecodeResult.Decoded) result).event()).command();
        JsonObject console = JsonParser.parseString(text(OutboundEvents.console(echoed))).getAsJsonObject();
        assertThat(console.get("data").getAsString()).isEqualTo(command);
    }
}
