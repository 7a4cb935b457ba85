package io.lightd.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scripts a new machine runs first ({@code .ci/run}, {@code scripts/test} and its helpers),
 * driven for real by bash with stand-ins for the commands that would change the machine (apt-get,
 * apt-cache, mvn, mount, docker) placed first on the {@code PATH}, so that the branches that only run
 * on a fresh machine run here too: every script parses; none that runs under {@code pipefail} ends
 * a pipeline early; {@code ensure-browser.sh} installs Chromium when {@code apt-cache policy} has a
 * candidate and says more after it, and retries a failed {@code apt-get update}; {@code
 * scripts/test} names, at its end, each optional part it could not have and each test class skipped
 * for want of one.
 */
class ScriptsTest {

    /** A pipe into a reader that may stop before the writer is done: the writer then dies of SIGPIPE. */
    private static final Pattern EARLY_READER =
            Pattern.compile("\\|\\s*(grep\\b[^|]*\\s-[a-zA-Z]*q|head\\b|read\\b)");

    @TempDir
    Path dir;

    @Test
    void earlyReadersAreFoundOnlyInPipelines() {
        assertThat(earlyReaders("set -euo pipefail\napt-cache policy x | grep -q 'Candidate: [0-9]'\n"))
                .containsExactly("2: apt-cache policy x | grep -q 'Candidate: [0-9]'");
        assertThat(earlyReaders("set -o pipefail\nsed -n p f | head -n1\nfind . | while read -r f; do :; done\n"))
                .hasSize(1);
        assertThat(earlyReaders("set -o pipefail\ngrep -q x file\n# a | head in a comment\nhead -c 8 /dev/urandom | od\n"))
                .isEmpty();
        assertThat(earlyReaders("x | grep -q y\n")).as("without pipefail the reader's status is the pipeline's")
                .isEmpty();
    }

    @Test
    void everyScriptParsesAndNoneEndsAPipelineEarlyUnderPipefail() throws Exception {
        List<Path> scripts = scripts();
        assertThat(scripts).extracting(p -> repo().relativize(p).toString())
                .contains(".ci/run", "scripts/test", "scripts/lib/ensure-browser.sh", "scripts/lib/retry.sh");
        for (Path script : scripts) {
            Result parsed = run(List.of("bash", "-n", script.toString()), Map.of(), repo());
            assertThat(parsed.status).as("bash -n %s: %s", script, parsed.output).isZero();
            assertThat(earlyReaders(Files.readString(script))).as("pipelines in %s", script).isEmpty();
        }
    }

    @Test
    void ensureBrowserInstallsChromiumWhenThePolicyHasACandidateAndRetriesAFailedUpdate() throws Exception {
        Path bin = fakes();
        // A candidate, then far more than a pipe holds: a reader that stops at the match kills the writer.
        fake(bin, "apt-cache", "echo \"$2:\"; echo '  Installed: (none)'; echo '  Candidate: 1:120.0-1~deb12u1'\n"
                + "i=0; while [ $i -lt 20000 ]; do echo '     500 http://deb.debian.org/debian bookworm/main amd64 "
                + "Packages'; i=$((i+1)); done");
        fake(bin, "apt-get", "echo \"apt-get $*\" >>\"$FAKE_LOG\"\n"
                + "case \" $* \" in *' update '*) [ -e \"$FAKE_LOG.updated\" ] || { touch \"$FAKE_LOG.updated\"; exit 100; };; esac");
        Path log = dir.resolve("calls.log");

        Result r = run(List.of(repo().resolve("scripts/lib/ensure-browser.sh").toString()),
                env(bin, Map.of("FAKE_LOG", log.toString(), "LIGHTD_CHROMIUM", dir.resolve("no-chromium").toString())),
                repo());

        assertThat(r.status).as(r.output).isZero();
        assertThat(r.output).contains("lightd: installing chromium (for the browser console test)")
                .contains("attempt 1 of 3 failed (exit status 100)");
        assertThat(Files.readAllLines(log)).filteredOn(l -> l.contains(" update ")).hasSize(2);
        assertThat(Files.readAllLines(log)).filteredOn(l -> l.contains(" install "))
                .singleElement().asString().endsWith(" install -y -qq --no-install-recommends chromium");
    }

    @Test
    void ensureBrowserSaysSoWhenNoPackageCanBeHad() throws Exception {
        Path bin = fakes();
        Result r = run(List.of(repo().resolve("scripts/lib/ensure-browser.sh").toString()),
                env(bin, Map.of("LIGHTD_CHROMIUM", dir.resolve("no-chromium").toString())), repo());
        assertThat(r.status).isEqualTo(1);
        assertThat(r.output).contains("lightd: no package chromium can be installed here");
    }

    @Test
    void scriptsTestEndsWithOneLinePerOptionalPartItCouldNotHave() throws Exception {
        Path copy = copyOfScripts();
        Path bin = fakes();
        fake(bin, "mount", "echo 'mount: only root can use \"--types\" option' >&2; exit 32");
        // Maven "runs" the tests: one Docker test class reports itself skipped, as DockerEngineExtension does.
        fake(bin, "mvn", "mkdir -p lightd-docker/target/surefire-reports\n"
                + "cat >lightd-docker/target/surefire-reports/TEST-io.lightd.runtime.docker.DockerRuntimeTest.xml <<'XML'\n"
                + "<testsuite><testcase name=\"DockerRuntimeTest\" classname=\"io.lightd.runtime.docker.DockerRuntimeTest\">"
                + "<skipped message=\"*** SKIPPED *** Docker tests of DockerRuntimeTest cannot run: no Docker engine "
                + "answers at unix:///var/run/docker.sock (&quot;refused&quot;)\"/></testcase></testsuite>\n"
                + "XML\nexit 0");

        Result r = run(List.of(copy.resolve("scripts/test").toString()), env(bin, Map.of(
                "LIGHTD_CHROMIUM", dir.resolve("no-chromium").toString(),
                "LIGHTD_DOCKER_STATE_DIR", dir.resolve("engine").toString(),
                "LIGHTD_DOCKER_START_TIMEOUT", "1")), copy);

        assertThat(r.status).as(r.output).isZero();
        assertThat(tail(r.output, 4)).containsExactly(
                "lightd: NOT HERE: Docker: no Docker engine with lightd-test:latest could be had "
                        + "(see the docker-engine lines above)",
                "lightd: NOT HERE: Chromium: the browser console test could not be set up "
                        + "(no package chromium can be installed here)",
                "lightd: NOT HERE: storage-fault mounts: mounting a tmpfs needs root with CAP_SYS_ADMIN "
                        + "(mount: only root can use \"--types\" option)",
                "lightd: SKIPPED: Docker tests of DockerRuntimeTest cannot run: no Docker engine answers at "
                        + "unix:///var/run/docker.sock (\"refused\")");
    }

    @Test
    void scriptsTestSaysSoWhenEveryOptionalPartWasHere() throws Exception {
        Path copy = copyOfScripts();
        Path bin = fakes();
        fake(bin, "docker", "[ \"$1\" = version ] && echo 99.0\nexit 0");
        fake(bin, "chromium", "exit 0");
        fake(bin, "mvn", "exit 3");

        Result r = run(List.of(copy.resolve("scripts/test").toString()), env(bin, Map.of(
                "LIGHTD_CHROMIUM", bin.resolve("chromium").toString(),
                "LIGHTD_DOCKER_STATE_DIR", dir.resolve("engine").toString())), copy);

        assertThat(r.status).as("Maven's exit status is the script's").isEqualTo(3);
        assertThat(tail(r.output, 1))
                .containsExactly("lightd: every optional part was here: Docker, Chromium, storage-fault mounts");
    }

    /** The lines of {@code text} after which nothing but {@code n} lines follow. */
    private static List<String> tail(String text, int n) {
        List<String> lines = text.lines().toList();
        return lines.subList(Math.max(0, lines.size() - n), lines.size());
    }

    /** Lines ({@code "N: text"}) of a script under pipefail that pipe into a reader that may stop early. */
    static List<String> earlyReaders(String script) {
        List<String> found = new ArrayList<>();
        if (!script.contains("pipefail")) {
            return found;
        }
        List<String> lines = script.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (!line.stripLeading().startsWith("#") && EARLY_READER.matcher(line).find()) {
                found.add((i + 1) + ": " + line);
            }
        }
        return found;
    }

    /** Every shell script under scripts/ and .ci/ (by name or by its first line). */
    private static List<Path> scripts() throws IOException {
        List<Path> scripts = new ArrayList<>();
        for (String folder : List.of("scripts", ".ci")) {
            try (Stream<Path> files = Files.walk(repo().resolve(folder))) {
                for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
                    String text = Files.readString(p);
                    if (p.toString().endsWith(".sh") || text.startsWith("#!/usr/bin/env bash")
                            || text.startsWith("#!/bin/bash")) {
                        scripts.add(p);
                    }
                }
            }
        }
        return scripts;
    }

    /** The repository's scripts, .ci and the browser check's lock file in a folder of their own. */
    private Path copyOfScripts() throws IOException {
        Path copy = dir.resolve("repo");
        for (String folder : List.of("scripts", ".ci")) {
            try (Stream<Path> files = Files.walk(repo().resolve(folder))) {
                for (Path p : files.toList()) {
                    Path target = copy.resolve(repo().relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
                    }
                }
            }
        }
        Files.createDirectories(copy.resolve("lightd-server/src/test/browser"));
        return copy;
    }

    /**
     * A folder of stand-ins for every command of the scripts that installs, mounts, builds or starts
     * something, so that no test here changes the machine: a root {@code id}; a JDK, curl, Maven,
     * npm, apt-get, mount and umount that do nothing; an apt-cache without candidates; a docker and
     * a dockerd that fail; node printing the browser check's pinned playwright-core version, as if
     * it were installed. A test replaces those it drives.
     */
    private Path fakes() throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        fake(bin, "id", "[ \"$1\" = -u ] && echo 0 || echo 'uid=0(root) gid=0(root)'");
        for (String tool : List.of("java", "javac", "curl", "mvn", "npm", "apt-get", "mount", "umount")) {
            fake(bin, tool, "exit 0");
        }
        fake(bin, "apt-cache", "echo \"$2:\"; echo '  Candidate: (none)'");
        fake(bin, "docker", "exit 1");
        fake(bin, "dockerd", "exit 1");
        String version = Files.readString(repo().resolve("lightd-server/src/test/browser/package.json"))
                .replaceAll("(?s).*\"playwright-core\":\\s*\"([^\"]+)\".*", "$1");
        fake(bin, "node", "echo " + version);
        return bin;
    }

    private static void fake(Path bin, String name, String body) throws IOException {
        Path file = bin.resolve(name);
        Files.writeString(file, "#!/bin/sh\n" + body + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private Map<String, String> env(Path bin, Map<String, String> extra) {
        Map<String, String> env = new java.util.HashMap<>(extra);
        env.put("PATH", bin + ":/usr/bin:/bin:/usr/sbin:/sbin");
        env.put("TMPDIR", dir.toString());
        env.put("LIGHTD_RETRY_DELAY_SECONDS", "0");
        return env;
    }

    private static Path repo() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve(".ci/run")) && Files.isDirectory(p.resolve("scripts"))) {
                return p;
            }
        }
        throw new AssertionError("no .ci/run above " + Path.of("").toAbsolutePath());
    }

    /** A finished command: its exit status and its merged standard output and error. */
    record Result(int status, String output) {
    }

    /**
     * Runs {@code command} in {@code workDir} with {@code env} added to an environment cleared of
     * lightd's variables, its stdin closed; fails the test when it takes over 120 s.
     */
    static Result run(List<String> command, Map<String, String> env, Path workDir) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("LIGHTD_") || k.equals("DOCKER_HOST"));
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish:\n" + output);
        }
        return new Result(p.exitValue(), output);
    }
}
