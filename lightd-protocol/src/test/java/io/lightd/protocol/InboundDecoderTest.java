package io.lightd.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class InboundDecoderTest {

    private static final int MAX_COMMAND_BYTES = 64;

    private static DecodeResult decode(String frame) {
        return InboundDecoder.decode(frame, MAX_COMMAND_BYTES);
    }

    @Test
    void decodesSendCommandExactly() {
        assertThat(decode("{\"event\":\"send_command\",\"command\":\"say h\u00e9 \\\"x\\\"\\n\"}"))
                .isEqualTo(new DecodeResult.Decoded(new InboundEvent.SendCommand("say h\u00e9 \"x\"\n")));
    }

    @ParameterizedTest
    @EnumSource(PowerAction.class)
    void decodesEveryPowerAction(PowerAction action) {
        assertThat(decode("{\"event\":\"power\",\"action\":\"" + action.wireName() + "\"}"))
                .isEqualTo(new DecodeResult.Decoded(new InboundEvent.Power(action)));
    }

    @Test
    void decodesRequestLogsWithAndWithoutLines() {
        assertThat(decode("{\"event\":\"request_logs\"}"))
                .isEqualTo(new DecodeResult.Decoded(InboundEvent.RequestLogs.all()));
        assertThat(decode("{\"event\":\"request_logs\",\"lines\":25}"))
                .isEqualTo(new DecodeResult.Decoded(new InboundEvent.RequestLogs(OptionalInt.of(25))));
        assertThat(decode("{\"event\":\"request_logs\",\"lines\":null}"))
                .isEqualTo(new DecodeResult.Decoded(InboundEvent.RequestLogs.all()));
        assertThat(decode("{\"event\":\"request_logs\",\"lines\":1e20}"))
                .isEqualTo(new DecodeResult.Decoded(new InboundEvent.RequestLogs(OptionalInt.of(Integer.MAX_VALUE))));
    }

    @Test
    void ignoresUnknownFields() {
        assertThat(decode("{\"event\":\"power\",\"action\":\"kill\",\"extra\":[1,2]}"))
                .isEqualTo(new DecodeResult.Decoded(new InboundEvent.Power(PowerAction.KILL)));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "`not json`|Error: invalid JSON",
            "`{\"event\":\"power\"`|Error: invalid JSON",
            "`{\"event\":\"power\",\"action\":\"kill\"} trailing`|Error: invalid JSON",
            "`{event:'power'}`|Error: invalid JSON",
            "``|Error: invalid JSON",
            "`[1,2]`|Error: expected a JSON object",
            "`\"send_command\"`|Error: expected a JSON object",
            "`42`|Error: expected a JSON object",
            "`{}`|Error: missing \"event\"",
            "`{\"event\":null}`|Error: missing \"event\"",
            "`{\"event\":7}`|Error: \"event\" must be a string",
            "`{\"event\":\"explode\"}`|Error: unknown event \"explode\"",
            "`{\"event\":\"send_command\"}`|Error: missing \"command\"",
            "`{\"event\":\"send_command\",\"command\":5}`|Error: \"command\" must be a string",
            "`{\"event\":\"send_command\",\"command\":{\"a\":1}}`|Error: \"command\" must be a string",
            "`{\"event\":\"power\"}`|Error: missing \"action\"",
            "`{\"event\":\"power\",\"action\":true}`|Error: \"action\" must be a string",
            "`{\"event\":\"power\",\"action\":\"explode\"}`|Error: unknown power action \"explode\"",
            "`{\"event\":\"request_logs\",\"lines\":\"5\"}`|Error: \"lines\" must be a positive integer",
            "`{\"event\":\"request_logs\",\"lines\":0}`|Error: \"lines\" must be a positive integer",
            "`{\"event\":\"request_logs\",\"lines\":-3}`|Error: \"lines\" must be a positive integer",
            "`{\"event\":\"request_logs\",\"lines\":2.5}`|Error: \"lines\" must be a positive integer",
    })
    void answersEachBadInputWithItsOwnError(String frame, String expected) {
        assertThat(decode(frame)).isEqualTo(new DecodeResult.Invalid(expected));
    }

    @Test
    void deepNestingIsInvalidJsonNotACrash() {
        String deep = "{\"event\":\"power\",\"x\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
        assertThat(decode(deep)).isInstanceOf(DecodeResult.Invalid.class);
    }

    @Test
    void longClientTextIsCutInTheErrorText() {
        String name = "x".repeat(500);
        DecodeResult result = decode("{\"event\":\"" + name + "\"}");
        assertThat(((DecodeResult.Invalid) result).message())
                .isEqualTo("Error: unknown event \"" + "x".repeat(InboundDecoder.MAX_ECHO) + "...\"");
    }

    @Test
    void commandLongerThanTheLimitInUtf8BytesIsRefused() {
        String fits = "\u00e9".repeat(MAX_COMMAND_BYTES / 2);
        assertThat(decode("{\"event\":\"send_command\",\"command\":\"" + fits + "\"}"))
                .isEqualTo(new DecodeResult.Decoded(new InboundEvent.SendCommand(fits)));
        assertThat(decode("{\"event\":\"send_command\",\"command\":\"" + fits + "x\"}"))
                .isEqualTo(new DecodeResult.Invalid("Error: command too long (65 bytes; the limit is 64)"));
    }
}
