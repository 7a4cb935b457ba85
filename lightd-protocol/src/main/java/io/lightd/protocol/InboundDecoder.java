package io.lightd.protocol;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;

/**
 * Decodes one inbound text frame into an {@link InboundEvent}, or into the specific error text the
 * client gets back. The longest command accepted is the caller's (it is configuration). Stateless
 * and thread-safe.
 */
public final class InboundDecoder {

    /** Longest piece of client input echoed back inside an error text. */
    static final int MAX_ECHO = 64;

    private InboundDecoder() {
    }

    /**
     * Decodes one text frame. JSON is parsed strictly (one value, no trailing text); a malformed or
     * too deeply nested document is {@link DecodeResult.Kind#INVALID_JSON}, not an exception.
     *
     * @param text            the whole payload of one text frame, as received
     * @param maxCommandBytes the most UTF-8 bytes a {@code send_command} may write to stdin
     *                        (from the {@code websocket} configuration)
     * @return {@link DecodeResult.Decoded} with the event, or {@link DecodeResult.Invalid} with the
     *         error text ({@code Error: ...}) to send back; never null
     */
    public static DecodeResult decode(String text, int maxCommandBytes) {
        if (text.isBlank()) {
            return invalid(DecodeResult.Kind.INVALID_JSON, "invalid JSON");
        }
        JsonElement root;
        try {
            JsonReader reader = new JsonReader(new StringReader(text));
            reader.setStrictness(Strictness.STRICT);
            root = JsonParser.parseReader(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                return invalid(DecodeResult.Kind.INVALID_JSON, "invalid JSON");
            }
        } catch (JsonParseException | IOException | IllegalStateException | StackOverflowError e) {
            return invalid(DecodeResult.Kind.INVALID_JSON, "invalid JSON");
        }
        if (!root.isJsonObject()) {
            return invalid(DecodeResult.Kind.NOT_AN_OBJECT, "expected a JSON object");
        }
        JsonObject object = root.getAsJsonObject();
        JsonElement event = object.get("event");
        if (event == null || event.isJsonNull()) {
            return invalid(DecodeResult.Kind.MISSING_FIELD, "missing \"event\"");
        }
        if (!isString(event)) {
            return invalid(DecodeResult.Kind.WRONG_TYPE, "\"event\" must be a string");
        }
        String name = event.getAsString();
        return switch (name) {
            case "send_command" -> sendCommand(object, maxCommandBytes);
            case "power" -> power(object);
            case "request_logs" -> requestLogs(object);
            default -> invalid(DecodeResult.Kind.UNKNOWN_EVENT, "unknown event \"" + echo(name) + "\"");
        };
    }

    private static DecodeResult sendCommand(JsonObject object, int maxCommandBytes) {
        JsonElement command = object.get("command");
        if (command == null || command.isJsonNull()) {
            return invalid(DecodeResult.Kind.MISSING_FIELD, "missing \"command\"");
        }
        if (!isString(command)) {
            return invalid(DecodeResult.Kind.WRONG_TYPE, "\"command\" must be a string");
        }
        String problem = commandProblem(command.getAsString(), maxCommandBytes);
        if (problem != null) {
            return invalid(DecodeResult.Kind.COMMAND_TOO_LONG, problem);
        }
        return new DecodeResult.Decoded(new InboundEvent.SendCommand(command.getAsString()));
    }

    /**
     * Why {@code command} may not be written to stdin (REST commands share the rule).
     *
     * @param command         the command text, as sent
     * @param maxCommandBytes the most UTF-8 bytes allowed
     * @return the reason without the {@code Error: } prefix, e.g.
     *         {@code command too long (70000 bytes; the limit is 65536)}, or null when it may be written
     */
    public static String commandProblem(String command, int maxCommandBytes) {
        int bytes = command.getBytes(StandardCharsets.UTF_8).length;
        return bytes <= maxCommandBytes ? null
                : "command too long (" + bytes + " bytes; the limit is " + maxCommandBytes + ")";
    }

    private static DecodeResult power(JsonObject object) {
        JsonElement action = object.get("action");
        if (action == null || action.isJsonNull()) {
            return invalid(DecodeResult.Kind.MISSING_FIELD, "missing \"action\"");
        }
        if (!isString(action)) {
            return invalid(DecodeResult.Kind.WRONG_TYPE, "\"action\" must be a string");
        }
        String name = action.getAsString();
        return PowerAction.fromWireName(name)
                .<DecodeResult>map(a -> new DecodeResult.Decoded(new InboundEvent.Power(a)))
                .orElseGet(() -> invalid(DecodeResult.Kind.UNKNOWN_ACTION,
                        "unknown power action \"" + echo(name) + "\""));
    }

    private static DecodeResult requestLogs(JsonObject object) {
        JsonElement lines = object.get("lines");
        if (lines == null || lines.isJsonNull()) {
            return new DecodeResult.Decoded(InboundEvent.RequestLogs.all());
        }
        if (!lines.isJsonPrimitive() || !lines.getAsJsonPrimitive().isNumber()) {
            return invalid(DecodeResult.Kind.WRONG_TYPE, "\"lines\" must be a positive integer");
        }
        BigDecimal value;
        try {
            value = lines.getAsBigDecimal();
        } catch (NumberFormatException e) {
            return invalid(DecodeResult.Kind.BAD_VALUE, "\"lines\" must be a positive integer");
        }
        if (value.signum() <= 0 || value.stripTrailingZeros().scale() > 0) {
            return invalid(DecodeResult.Kind.BAD_VALUE, "\"lines\" must be a positive integer");
        }
        int count = value.compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) > 0 ? Integer.MAX_VALUE : value.intValueExact();
        return new DecodeResult.Decoded(new InboundEvent.RequestLogs(OptionalInt.of(count)));
    }

    private static boolean isString(JsonElement element) {
        return element.isJsonPrimitive() && ((JsonPrimitive) element).isString();
    }

    private static DecodeResult invalid(DecodeResult.Kind kind, String what) {
        return new DecodeResult.Invalid(kind, "Error: " + what);
    }

    private static String echo(String clientText) {
        return clientText.length() <= MAX_ECHO ? clientText : clientText.substring(0, MAX_ECHO) + "...";
    }
}
