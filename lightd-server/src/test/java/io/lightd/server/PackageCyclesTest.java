package io.lightd.server;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package structure of the main code of {@code lightd-protocol}, {@code lightd-docker} and
 * {@code lightd-server} (this module's test class path holds all three): no package takes part in a
 * dependency cycle, so each room can be read and changed from the bottom up. The modules themselves
 * cannot form a cycle (Maven refuses one), so a cycle can only appear between packages, which is what
 * this checks. Inside the Docker runtime the check goes down to classes: no class of
 * {@code io.lightd.runtime.docker} reaches back to one that uses it.
 *
 * <p>A failure lists each cycle with the dependencies that close it; break it by moving the class
 * both sides need to a package below them, or by a narrow interface the lower side reports through.
 */
class PackageCyclesTest {

    private static JavaClasses mainClasses;

    @BeforeAll
    static void importMainClasses() {
        mainClasses = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(PackageCyclesTest::notATestJar)
                .importPackages("io.lightd");
    }

    /** The Docker module's test jar is on this class path too; its classes are tests, not rooms. */
    private static boolean notATestJar(Location location) {
        return !location.contains("-tests.jar") && !location.contains("/test-classes/");
    }

    @Test
    void theImportHoldsTheMainCodeOfEveryModule() {
        Set<String> packages = mainClasses.stream().map(JavaClass::getPackageName).collect(Collectors.toSet());
        assertThat(packages).contains("io.lightd.protocol", "io.lightd.runtime", "io.lightd.runtime.docker",
                "io.lightd.server", "io.lightd.server.hub", "io.lightd.server.ws", "io.lightd.server.http");
        assertThat(mainClasses.stream().map(JavaClass::getSimpleName))
                .as("test classes are not imported")
                .doesNotContain("PackageCyclesTest", "DockerEngineExtension");
    }

    @Test
    void noPackageTakesPartInACycle() {
        // "(**)" captures the whole package name: every package is a slice of its own, a
        // sub-package apart from its parent.
        slices().matching("io.lightd.(**)")
                .as("the packages of lightd's main code")
                .should().beFreeOfCycles()
                .check(mainClasses);
    }

    @Test
    void noClassOfTheDockerRuntimeReachesBackToOneThatUsesIt() {
        slices().assignedFrom(topLevelClassesOf("io.lightd.runtime.docker"))
                .should().beFreeOfCycles()
                .check(mainClasses);
    }

    /** One slice per top-level class of {@code packageName} (a nested class counts as its outer class). */
    private static SliceAssignment topLevelClassesOf(String packageName) {
        return new SliceAssignment() {
            @Override
            public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
                if (!javaClass.getPackageName().equals(packageName)) {
                    return SliceIdentifier.ignore();
                }
                String name = javaClass.getName();
                int nested = name.indexOf('$');
                return SliceIdentifier.of(nested < 0 ? name : name.substring(0, nested));
            }

            @Override
            public String getDescription() {
                return "the top-level classes of " + packageName;
            }
        };
    }
}
