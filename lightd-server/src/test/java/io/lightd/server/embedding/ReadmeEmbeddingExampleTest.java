package io.lightd.server.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * README.md's "Embedding lightd" example is {@link EmbeddedLightd} word for word (its package line
 * aside), so the example the README shows is the code this module compiles and
 * {@link EmbeddingIntegrationTest} runs.
 */
class ReadmeEmbeddingExampleTest {

    @Test
    void theReadmeExampleIsTheCompiledOne() throws Exception {
        Path module = moduleRoot();
        String source = Files.readString(module.resolve(
                "src/test/java/io/lightd/server/embedding/EmbeddedLightd.java"), StandardCharsets.UTF_8);
        String withoutPackage = source.substring(source.indexOf("import "));
        List<String> readme = Files.readAllLines(module.resolveSibling("README.md"), StandardCharsets.UTF_8);
        int section = readme.indexOf("## Embedding lightd");
        assertThat(section).as("a \"## Embedding lightd\" section in README.md").isNotNegative();
        int open = -1;
        for (int i = section; i < readme.size() && !readme.get(i).startsWith("## Running"); i++) {
            if (readme.get(i).equals("```java") && readme.get(i + 1).startsWith("import ")) {
                open = i;
                break;
            }
        }
        assertThat(open).as("a ```java block starting with the imports").isPositive();
        StringBuilder block = new StringBuilder();
        for (int i = open + 1; !readme.get(i).equals("```"); i++) {
            block.append(readme.get(i)).append('\n');
        }
        assertThat(block.toString()).isEqualTo(withoutPackage);
    }

    /** The module's folder: tests run in it, or in the reactor's root. */
    private static Path moduleRoot() {
        Path here = Path.of("").toAbsolutePath();
        return Files.isDirectory(here.resolve("lightd-server")) ? here.resolve("lightd-server") : here;
    }
}
