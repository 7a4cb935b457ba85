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

    @ParameterizedTest(name = "{0} -> {1}: {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "`not json`|INVALID_JSON|Error: invalid JSON",
            "`{\"event\":\"power\"`|INVALID_JSON|Error: invalid JSON",
            "`{\"event\":\"power\",\"action\":\"kill\"} trailing`|INVALID_JSON|Error: invalid JSON",
            "`{event:'power'}`|INVALID_JSON|Error: invalid JSON",
            "``|INVALID_JSON|Error: invalid JSON",
            "`[1,2]`|NOT_AN_OBJECT|Error: expected a JSON object",
            "`\"send_command\"`|NOT_AN_OBJECT|Error: expected a JSON object",
            "`42`|NOT_AN_OBJECT|Error: expected a JSON object",
            "`{}`|MISSING_FIELD|Error: missing \"event\"",
            "`{\"event\":null}`|MISSING_FIELD|Error: missing \"event\"",
            "`{\"event\":7}`|WRONG_TYPE|Error: \"event\" must be a string",
            "`{\"event\":\"explode\"}`|UNKNOWN_EVENT|Error: unknown event \"explode\"",
            "`{\"event\":\"send_command\"}`|MISSING_FIELD|Error: missing \"command\"",
            "`{\"event\":\"send_command\",\"command\":5}`|WRONG_TYPE|Error: \"command\" must be a string",
            "`{\"event\":\"send_command\",\"command\":{\"a\":1}}`|WRONG_TYPE|Error: \"command\" must be a string",
            "`{\"event\":\"power\"}`|MISSING_FIELD|Error: missing \"action\"",
            "`{\"event\":\"power\",\"action\":true}`|WRONG_TYPE|Error: \"action\" must be a string",
            "`{\"event\":\"power\",\"action\":\"explode\"}`|UNKNOWN_ACTION|Error: unknown power action \"explode\"",
            "`{\"event\":\"request_logs\",\"lines\":\"5\"}`|WRONG_TYPE|Error: \"lines\" must be a positive integer",
            "`{\"event\":\"request_logs\",\"lines\":0}`|BAD_VALUE|Error: \"lines\" must be a positive integer",
            "`{\"event\":\"request_logs\",\"lines\":-3}`|BAD_VALUE|Error: \"lines\" must be a positive integer",
            "`{\"event\":\"request_logs\",\"lines\":2.5}`|BAD_VALUE|Error: \"lines\" must be a positive integer",
    })
    void answersEachBadInputWithItsOwnError(String frame, DecodeResult.Kind kind, String expected) {
        assertThat(decode(frame)).isEqualTo(new DecodeResult.Invalid(kind, expected));
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
                .isEqualTo(new DecodeResult.Invalid(DecodeResult.Kind.COMMAND_TOO_LONG,
                        "Error: command too long (65 bytes; the limit is 64)"));
    }
}
