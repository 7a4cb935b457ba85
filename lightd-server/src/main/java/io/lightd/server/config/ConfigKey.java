package io.lightd.server.config;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * One configuration key, spelled once: its dotted name in the JSON file ({@code limits.max_connections}
 * is {@code {"limits": {"max_connections": ...}}}), its default, the values it accepts and the sentence
 * the README's configuration table gives it. {@link ConfigKeys} lists every key; from that list come
 * the defaults file, the parsing and range checks of {@link ConfigLoader}, the range checks of the
 * builders of {@link LightdConfig}, and the README table.
 *
 * <p>Immutable and thread-safe.
 *
 * @param <T> the Java type of the value (a boxed number, a string, an enum, a list)
 */
public final class ConfigKey<T> {

    private final String name;
    private final T defaultValue;
    private final Type<T> type;
    private final String doc;

    private ConfigKey(String name, T defaultValue, Type<T> type, String doc) {
        this.name = Objects.requireNonNull(name, "name");
        this.defaultValue = defaultValue;
        this.type = type;
        this.doc = Objects.requireNonNull(doc, "doc");
    }

    /** A string key; the empty string is accepted only when {@code allowEmpty}. */
    static ConfigKey<String> string(String name, String defaultValue, boolean allowEmpty, String doc) {
        return new ConfigKey<>(name, defaultValue, new StringType(allowEmpty), doc);
    }

    /** A string key whose default is made fresh for every new file ({@code authorization.token}). */
    static ConfigKey<String> generated(String name, String doc) {
        return new ConfigKey<>(name, null, new StringType(false), doc);
    }

    /** An integer key accepting {@code min} to {@code max}, both included. */
    static ConfigKey<Integer> integer(String name, int defaultValue, int min, int max, String doc) {
        return new ConfigKey<>(name, defaultValue, new IntegerType(min, max), doc);
    }

    /** A decimal key accepting {@code min} to {@code max}, both included. */
    static ConfigKey<Double> decimal(String name, double defaultValue, double min, double max, String doc) {
        return new ConfigKey<>(name, defaultValue, new DecimalType(min, max), doc);
    }

    /** A {@code true}/{@code false} key. */
    static ConfigKey<Boolean> bool(String name, boolean defaultValue, String doc) {
        return new ConfigKey<>(name, defaultValue, BooleanType.INSTANCE, doc);
    }

    /** A key taking one of the constants of {@code E}, written in lower case. */
    static <E extends Enum<E>> ConfigKey<E> choice(String name, E defaultValue, String doc) {
        return new ConfigKey<>(name, defaultValue, new ChoiceType<>(defaultValue.getDeclaringClass()), doc);
    }

    /** An array of strings, empty by default. */
    static ConfigKey<List<String>> strings(String name, String doc) {
        return new ConfigKey<>(name, List.of(), StringsType.INSTANCE, doc);
    }

    /**
     * A key whose value is any JSON (an array of JSON Web Keys): the default is written as given,
     * {@link ConfigLoader} reads it with its own parser.
     */
    static ConfigKey<JsonElement> json(String name, JsonElement defaultValue, String doc) {
        return new ConfigKey<>(name, defaultValue, JsonType.INSTANCE, doc);
    }

    /** The dotted name, e.g. {@code limits.max_connections}. */
    public String name() {
        return name;
    }

    /** The default; null only for a key whose default is generated per file ({@code authorization.token}). */
    public T defaultValue() {
        return defaultValue;
    }

    /** The README's sentence for the key (Markdown). */
    public String doc() {
        return doc;
    }

    /** The values accepted, as the README shows them ({@code 1 to 3600}, {@code `docker`, `process`}); empty when any. */
    public String allowed() {
        return type.allowed();
    }

    /** The default as the README shows it: the JSON text, {@code random} when generated, empty for an empty string. */
    public String defaultText() {
        if (defaultValue == null) {
            return "random";
        }
        JsonElement json = type.toJson(defaultValue);
        if (json.isJsonPrimitive() && ((JsonPrimitive) json).isString()) {
            return json.getAsString();
        }
        if (json.isJsonPrimitive() && ((JsonPrimitive) json).isNumber()) {
            return new BigDecimal(json.getAsString()).stripTrailingZeros().toPlainString();
        }
        return json.toString();
    }

    /** The default as JSON, as the defaults file holds it; {@code generated} stands in for a generated default. */
    JsonElement defaultJson(String generated) {
        return defaultValue == null ? new JsonPrimitive(generated) : type.toJson(defaultValue);
    }

    /**
     * {@code value} if this key accepts it.
     *
     * @throws IllegalArgumentException naming the key and what it accepts, when {@code value} is out
     *                                  of range or null
     */
    public T check(T value) {
        if (value == null) {
            throw new IllegalArgumentException(name + " is missing");
        }
        String problem = type.problem(value);
        if (problem != null) {
            throw new IllegalArgumentException("invalid " + name + ": " + problem + " (got " + value + ")");
        }
        return value;
    }

    /**
     * This key's value in {@code root} (nested objects spell the dots), or the default when the key is
     * absent or JSON {@code null}.
     *
     * @throws ConfigException naming the key, when the value has the wrong JSON type or is out of range
     */
    public T read(JsonObject root) throws ConfigException {
        JsonElement json = find(root);
        if (json == null) {
            return defaultValue;
        }
        T value = type.read(json);
        String problem = value == null ? type.expected() : type.problem(value);
        if (problem != null) {
            throw new ConfigException("invalid " + name + ": " + problem + " (got " + json + ")");
        }
        return value;
    }

    /**
     * Sets this key in {@code root} to {@code value}, making the objects its dots name where they are
     * missing (the file's other keys stay as they are).
     *
     * @throws IllegalArgumentException as {@link #check}, or when a part of the path is not an object
     */
    public void write(JsonObject root, T value) {
        check(value);
        String[] parts = name.split("\\.");
        JsonObject current = root;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonElement next = current.get(parts[i]);
            if (next == null || next.isJsonNull()) {
                next = new JsonObject();
                current.add(parts[i], next);
            } else if (!next.isJsonObject()) {
                throw new IllegalArgumentException("invalid " + name + ": " + parts[i] + " is not an object");
            }
            current = next.getAsJsonObject();
        }
        current.add(parts[parts.length - 1], type.toJson(value));
    }

    /** The raw JSON of this key in {@code root}, or null when absent or JSON {@code null}. */
    JsonElement find(JsonObject root) throws ConfigException {
        JsonElement current = root;
        for (String part : name.split("\\.")) {
            if (current == null || current.isJsonNull()) {
                return null;
            }
            if (!current.isJsonObject()) {
                throw new ConfigException("invalid " + name + ": " + part + " is not inside an object");
            }
            current = current.getAsJsonObject().get(part);
        }
        return current == null || current.isJsonNull() ? null : current;
    }

    @Override
    public String toString() {
        return name;
    }

    /** How one kind of value is read, written, checked and described. */
    private interface Type<T> {
        /** The value of {@code json}, or null when it has the wrong JSON type. */
        T read(JsonElement json);

        JsonElement toJson(T value);

        /** Null when acceptable, else what is expected ("must be ..."). */
        String problem(T value);

        /** What a value of the wrong JSON type is told. */
        String expected();

        String allowed();
    }

    private record StringType(boolean allowEmpty) implements Type<String> {
        @Override
        public String read(JsonElement json) {
            return json.isJsonPrimitive() && ((JsonPrimitive) json).isString() ? json.getAsString() : null;
        }

        @Override
        public JsonElement toJson(String value) {
            return new JsonPrimitive(value);
        }

        @Override
        public String problem(String value) {
            return !allowEmpty && value.isBlank() ? expected() : null;
        }

        @Override
        public String expected() {
            return allowEmpty ? "must be a string" : "must be a non-empty string";
        }

        @Override
        public String allowed() {
            return "";
        }
    }

    private record IntegerType(int min, int max) implements Type<Integer> {
        @Override
        public Integer read(JsonElement json) {
            if (!json.isJsonPrimitive() || !((JsonPrimitive) json).isNumber()) {
                return null;
            }
            try {
                return json.getAsBigDecimal().intValueExact();
            } catch (ArithmeticException | NumberFormatException e) {
                return null;
            }
        }

        @Override
        public JsonElement toJson(Integer value) {
            return new JsonPrimitive(value);
        }

        @Override
        public String problem(Integer value) {
            return value >= min && value <= max ? null : expected();
        }

        @Override
        public String expected() {
            return "must be an integer from " + min + " to " + max;
        }

        @Override
        public String allowed() {
            return min + " to " + max;
        }
    }

    private record DecimalType(double min, double max) implements Type<Double> {
        @Override
        public Double read(JsonElement json) {
            return json.isJsonPrimitive() && ((JsonPrimitive) json).isNumber() ? json.getAsDouble() : null;
        }

        @Override
        public JsonElement toJson(Double value) {
            return new JsonPrimitive(value);
        }

        @Override
        public String problem(Double value) {
            return value >= min && value <= max ? null : expected();
        }

        @Override
        public String expected() {
            return "must be a number from " + plain(min) + " to " + plain(max);
        }

        @Override
        public String allowed() {
            return plain(min) + " to " + plain(max);
        }

        private static String plain(double value) {
            return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
        }
    }

    private enum BooleanType implements Type<Boolean> {
        INSTANCE;

        @Override
        public Boolean read(JsonElement json) {
            return json.isJsonPrimitive() && ((JsonPrimitive) json).isBoolean() ? json.getAsBoolean() : null;
        }

        @Override
        public JsonElement toJson(Boolean value) {
            return new JsonPrimitive(value);
        }

        @Override
        public String problem(Boolean value) {
            return null;
        }

        @Override
        public String expected() {
            return "must be true or false";
        }

        @Override
        public String allowed() {
            return "`true`, `false`";
        }
    }

    private record ChoiceType<E extends Enum<E>>(Class<E> type) implements Type<E> {
        @Override
        public E read(JsonElement json) {
            if (!json.isJsonPrimitive() || !((JsonPrimitive) json).isString()) {
                return null;
            }
            for (E constant : type.getEnumConstants()) {
                if (spelling(constant).equals(json.getAsString())) {
                    return constant;
                }
            }
            return null;
        }

        @Override
        public JsonElement toJson(E value) {
            return new JsonPrimitive(spelling(value));
        }

        @Override
        public String problem(E value) {
            return null;
        }

        @Override
        public String expected() {
            List<String> names = new ArrayList<>();
            for (E constant : type.getEnumConstants()) {
                names.add(spelling(constant));
            }
            return "must be one of " + String.join(", ", names);
        }

        @Override
        public String allowed() {
            return java.util.Arrays.stream(type.getEnumConstants()).map(c -> "`" + spelling(c) + "`")
                    .collect(Collectors.joining(", "));
        }

        private static String spelling(Enum<?> constant) {
            return constant.name().toLowerCase(Locale.ROOT);
        }
    }

    private enum StringsType implements Type<List<String>> {
        INSTANCE;

        @Override
        public List<String> read(JsonElement json) {
            if (!json.isJsonArray()) {
                return null;
            }
            List<String> values = new ArrayList<>();
            for (JsonElement item : json.getAsJsonArray()) {
                if (!item.isJsonPrimitive() || !((JsonPrimitive) item).isString()) {
                    return null;
                }
                values.add(item.getAsString());
            }
            return List.copyOf(values);
        }

        @Override
        public JsonElement toJson(List<String> value) {
            JsonArray array = new JsonArray();
            value.forEach(array::add);
            return array;
        }

        @Override
        public String problem(List<String> value) {
            return null;
        }

        @Override
        public String expected() {
            return "must be an array of strings";
        }

        @Override
        public String allowed() {
            return "";
        }
    }

    private enum JsonType implements Type<JsonElement> {
        INSTANCE;

        @Override
        public JsonElement read(JsonElement json) {
            return json;
        }

        @Override
        public JsonElement toJson(JsonElement value) {
            return value.deepCopy();
        }

        @Override
        public String problem(JsonElement value) {
            return null;
        }

        @Override
        public String expected() {
            return "must be JSON";
        }

        @Override
        public String allowed() {
            return "";
        }
    }
}
