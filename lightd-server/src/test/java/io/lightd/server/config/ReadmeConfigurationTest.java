package io.lightd.server.config;

import static org.assertj.core.api.Assertions.assertThat;

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
 * README.md's configuration table and {@link ConfigLoader#defaultsJson} describe the same keys with
 * the same defaults, both ways: every key a new config file gets is documented, and every documented
 * key is real, with the default it really has. The failure lists each key that differs and how.
 */
class ReadmeConfigurationTest {

    /**
     * A table row: {@code | `key` | `default` | meaning |}; the token's default is the word "random",
     * and an empty cell is an empty string.
     */
    private static final Pattern ROW = Pattern.compile("^\\| `([a-z_.]+)` \\| ?(`([^`]*)`|random|) ?\\|.*\\|$");

    @Test
    void everyDefaultIsDocumentedAndEveryDocumentedKeyIsReal() throws Exception {
        Map<String, String> documented = documentedDefaults();
        String token = Tokens.generate();
        Map<String, JsonElement> defaults = new LinkedHashMap<>();
        flatten("", ConfigLoader.defaultsJson(token), defaults);

        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : defaults.entrySet()) {
            String key = e.getKey();
            String actual = key.equals("authorization.token") ? "random" : text(e.getValue());
            if (!documented.containsKey(key)) {
                problems.add("README.md has no row for " + key + " (default `" + actual + "`)");
            } else if (!same(documented.get(key), actual)) {
                problems.add(key + ": README.md says `" + documented.get(key) + "`, ConfigLoader.defaultsJson has `"
                        + actual + "`");
            }
        }
        for (String key : documented.keySet()) {
            if (!defaults.containsKey(key)) {
                problems.add("README.md documents " + key + ", which ConfigLoader.defaultsJson does not have");
            }
        }
        assertThat(problems).as("README.md configuration table against ConfigLoader.defaultsJson").isEmpty();
        assertThat(documented).as("rows read from README.md").hasSizeGreaterThan(10);
    }

    @Test
    void theIdleStatsIntervalRowGivesTheRangeTheLoaderAccepts() throws Exception {
        String row = Files.readAllLines(readme(), StandardCharsets.UTF_8).stream()
                .filter(line -> line.startsWith("| `stats.idle_interval_ms` |")).findFirst().orElseThrow();
        Matcher range = Pattern.compile("(\\d+) to (\\d+)").matcher(row);
        assertThat(range.find()).as("a range \"MIN to MAX\" in: " + row).isTrue();
        long min = Long.parseLong(range.group(1));
        long max = Long.parseLong(range.group(2));
        for (long accepted : new long[] {min, max}) {
            assertThat(ConfigLoader.parse(withIdleInterval(accepted), Path.of(".")).stats().idleIntervalMs()).isEqualTo(accepted);
        }
        for (long refused : new long[] {min - 1, max + 1}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(
                    () -> ConfigLoader.parse(withIdleInterval(refused), Path.of(".")))
                    .isInstanceOf(ConfigException.class).hasMessageContaining("stats.idle_interval_ms");
        }
    }

    private static JsonObject withIdleInterval(long millis) {
        JsonObject config = ConfigLoader.defaultsJson(Tokens.generate());
        config.getAsJsonObject("stats").addProperty("idle_interval_ms", millis);
        return config;
    }

    private static Map<String, String> documentedDefaults() throws Exception {
        List<String> lines = Files.readAllLines(readme(), StandardCharsets.UTF_8);
        int start = lines.indexOf("## Configuration");
        assertThat(start).as("a \"## Configuration\" section in README.md").isNotNegative();
        Map<String, String> rows = new LinkedHashMap<>();
        for (int i = start + 1; i < lines.size() && !lines.get(i).startsWith("## "); i++) {
            Matcher m = ROW.matcher(lines.get(i));
            if (m.matches()) {
                assertThat(rows.put(m.group(1), m.group(3) == null ? m.group(2) : m.group(3)))
                        .as("README.md documents " + m.group(1) + " twice").isNull();
            }
        }
        return rows;
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
    private static boolean same(String documented, String actual) {
        if (documented.equals(actual)) {
            return true;
        }
        try {
            return new BigDecimal(documented).compareTo(new BigDecimal(actual)) == 0;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
