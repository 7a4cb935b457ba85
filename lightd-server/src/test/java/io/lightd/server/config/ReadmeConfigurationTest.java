package io.lightd.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.lightd.server.credential.Tokens;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@link ConfigKeys} is the one definition of the configuration keys: README.md's table is the one
 * it renders, the defaults file holds exactly its keys at its defaults, and the values column is
 * what the loader accepts (both ends in, one step beyond refused with the key named).
 */
class ReadmeConfigurationTest {

    /** A row: {@code | `key` | default | values | meaning |}. */
    private static final Pattern ROW = Pattern.compile("^\\| `([a-z_.]+)` \\| ([^|]*) \\| ([^|]*) \\| .*\\|$");
    private static final Pattern RANGE = Pattern.compile("^(-?[0-9.]+) to (-?[0-9.]+)$");

    /**
     * Keys that must move with the key under test for a value at the end of its range to be valid
     * (the low watermark below the high one, the pong timeout at least the ping interval).
     */
    private static final Map<String, Map<String, Integer>> COMPANIONS = Map.of(
            "limits.write_buffer_low_bytes", Map.of("limits.write_buffer_high_bytes", 256 * 1024 * 1024),
            "limits.write_buffer_high_bytes", Map.of("limits.write_buffer_low_bytes", 1024),
            "limits.ping_interval_seconds", Map.of("limits.pong_timeout_seconds", 3600),
            "limits.pong_timeout_seconds", Map.of("limits.ping_interval_seconds", 1));

    @Test
    void readmeTableIsTheOneConfigKeysRenders() throws Exception {
        List<String> section = configurationSection();
        List<String> table = section.stream().filter(line -> line.startsWith("|")).toList();
        String expected = ConfigKeys.markdownTable();
        assertThat(String.join("\n", table) + "\n")
                .as("README.md's configuration table must be ConfigKeys.markdownTable(); paste this in its place:%n%s",
                        expected)
                .isEqualTo(expected);
        assertThat(table).as("a header, a rule and one row per key").hasSize(ConfigKeys.ALL.size() + 2);
    }

    @Test
    void theDefaultsFileHoldsEveryKeyAtItsDefaultAndNothingElse() {
        String token = Tokens.generate();
        Map<String, JsonElement> file = new LinkedHashMap<>();
        flatten("", ConfigLoader.defaultsJson(token), file);
        assertThat(new ArrayList<>(file.keySet()))
                .containsExactlyElementsOf(ConfigKeys.ALL.stream().map(ConfigKey::name).toList());
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            String written = text(file.get(key.name()));
            String expected = key == ConfigKeys.AUTHORIZATION_TOKEN ? token : key.defaultText();
            assertThat(same(written, expected)).as("%s: file has %s, default %s", key, written, expected).isTrue();
        }
    }

    @Test
    void theDefaultsFileParsesToWhatTheBuilderGivesUntouched() throws Exception {
        String token = Tokens.generate();
        Path dir = Path.of("/srv/node");
        LightdConfig parsed = ConfigLoader.parse(ConfigLoader.defaultsJson(token), dir);
        LightdConfig built = LightdConfig.builder().token(token).basePath(dir.resolve("data")).build();
        assertThat(parsed).isEqualTo(built);
        assertThat(parsed.limits()).isEqualTo(LightdConfig.Limits.builder().build());
    }

    @Test
    void everyRangeInTheReadmeIsWhatTheLoaderAccepts() throws Exception {
        int ranges = 0;
        for (String line : configurationSection()) {
            Matcher row = ROW.matcher(line);
            if (!row.matches()) {
                continue;
            }
            Matcher range = RANGE.matcher(row.group(3).trim());
            if (!range.matches()) {
                continue;
            }
            ranges++;
            String key = row.group(1);
            BigDecimal min = new BigDecimal(range.group(1));
            BigDecimal max = new BigDecimal(range.group(2));
            BigDecimal step = min.scale() > 0 || max.scale() > 0 ? new BigDecimal("0.01") : BigDecimal.ONE;
            for (BigDecimal accepted : List.of(min, max)) {
                LightdConfig config = ConfigLoader.parse(with(key, accepted), Path.of("."));
                assertThat(config).as("%s = %s", key, accepted).isNotNull();
            }
            for (BigDecimal refused : List.of(min.subtract(step), max.add(step))) {
                assertThatThrownBy(() -> ConfigLoader.parse(with(key, refused), Path.of(".")))
                        .as("%s = %s", key, refused)
                        .isInstanceOf(ConfigException.class).hasMessageContaining("invalid " + key + ":");
            }
        }
        assertThat(ranges).as("rows with a range").isGreaterThan(20);
    }

    private static JsonObject with(String key, BigDecimal value) {
        JsonObject config = ConfigLoader.defaultsJson(Tokens.generate());
        put(config, key, new JsonPrimitive(value));
        COMPANIONS.getOrDefault(key, Map.of()).forEach((other, v) -> put(config, other, new JsonPrimitive(v)));
        return config;
    }

    private static void put(JsonObject root, String key, JsonElement value) {
        String[] parts = key.split("\\.");
        JsonObject parent = root;
        for (int i = 0; i < parts.length - 1; i++) {
            parent = parent.getAsJsonObject(parts[i]);
        }
        parent.add(parts[parts.length - 1], value);
    }

    private static List<String> configurationSection() throws Exception {
        List<String> lines = Files.readAllLines(readme(), StandardCharsets.UTF_8);
        int start = lines.indexOf("## Configuration");
        assertThat(start).as("a \"## Configuration\" section in README.md").isNotNegative();
        List<String> section = new ArrayList<>();
        for (int i = start + 1; i < lines.size() && !lines.get(i).startsWith("## "); i++) {
            section.add(lines.get(i));
        }
        return section;
    }

    /** The module's tests run in its folder; the README is the reactor's. */
    private static Path readme() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("README.md")) && Files.exists(p.resolve("lightd-server"))) {
                return p.resolve("README.md");
            }
        }
        throw new AssertionError("no README.md above " + here);
    }

    private static void flatten(String prefix, JsonObject object, Map<String, JsonElement> into) {
        for (Map.Entry<String, JsonElement> e : object.entrySet()) {
            String key = prefix + e.getKey();
            if (e.getValue().isJsonObject()) {
                flatten(key + ".", e.getValue().getAsJsonObject(), into);
            } else {
                into.put(key, e.getValue());
            }
        }
    }

    private static String text(JsonElement value) {
        return value.isJsonPrimitive() && ((JsonPrimitive) value).isString() ? value.getAsString() : value.toString();
    }

    /** Equal as text, or as numbers ({@code 10} and {@code 10.0} are one default). */
    private static boolean same(String a, String b) {
        if (a.equals(b)) {
            return true;
        }
        try {
            return new BigDecimal(a).compareTo(new BigDecimal(b)) == 0;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
