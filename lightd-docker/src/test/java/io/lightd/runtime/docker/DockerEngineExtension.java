package io.lightd.runtime.docker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a test class only when a Docker engine answers at {@link #dockerHost()} and has the test
 * image {@value #TEST_IMAGE} ({@code scripts/lib/docker-engine.sh} provides both). Without them the
 * class is skipped with a loud message, unless {@code LIGHTD_REQUIRE_DOCKER=1} (CI): then it fails.
 */
public final class DockerEngineExtension implements ExecutionCondition {

    public static final String TEST_IMAGE = "lightd-test:latest";

    /** {@code DOCKER_HOST} when set, else the default socket. */
    public static String dockerHost() {
        String host = System.getenv("DOCKER_HOST");
        return host == null || host.isBlank() ? "unix:///var/run/docker.sock" : host;
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (context.getTestMethod().isPresent()) {
            return ConditionEvaluationResult.enabled("the class was checked"); // checked once per class
        }
        String problem = problem();
        if (problem == null) {
            return ConditionEvaluationResult.enabled("Docker engine with " + TEST_IMAGE + " at " + dockerHost());
        }
        String message = "Docker tests of " + context.getDisplayName() + " cannot run: " + problem
                + " (start one with scripts/lib/docker-engine.sh)";
        if ("1".equals(System.getenv("LIGHTD_REQUIRE_DOCKER"))) {
            throw new AssertionError(message + "; LIGHTD_REQUIRE_DOCKER=1 makes this a failure");
        }
        System.err.println("\n*** SKIPPED *** " + message + "\n");
        return ConditionEvaluationResult.disabled("*** SKIPPED *** " + message);
    }

    /** Null when the engine answers and has the image, else what is missing. */
    private static String problem() {
        String host = dockerHost();
        try {
            if (!ok(get(host, "/_ping"))) {
                return "the engine at " + host + " does not answer /_ping with 200";
            }
            if (!ok(get(host, "/images/" + TEST_IMAGE + "/json"))) {
                return "the engine at " + host + " has no image " + TEST_IMAGE;
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return "no Docker engine answers at " + host + " (" + e + ")";
        }
    }

    private static boolean ok(String answer) {
        return answer.startsWith("HTTP/1.0 200") || answer.startsWith("HTTP/1.1 200");
    }

    private static String get(String host, String path) throws IOException {
        return request(host, "GET", path);
    }

    /**
     * One blocking HTTP/1.0 request without a body over the engine socket ({@code unix://} or
     * {@code tcp://}); the engine closes the connection after answering, so this returns the whole
     * answer, status line first. For tests that look at or act on the engine behind lightd's back.
     */
    public static String request(String host, String method, String path) throws IOException {
        URI uri = URI.create(host);
        byte[] request = (method + " " + path + " HTTP/1.0\r\nHost: docker\r\nContent-Length: 0\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        if ("unix".equals(uri.getScheme())) {
            try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                channel.connect(UnixDomainSocketAddress.of(uri.getPath()));
                return exchange(Channels.newOutputStream(channel), Channels.newInputStream(channel), request);
            }
        }
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5000);
            socket.setSoTimeout(30_000);
            return exchange(socket.getOutputStream(), socket.getInputStream(), request);
        }
    }

    private static String exchange(OutputStream out, InputStream in, byte[] request) throws IOException {
        out.write(request);
        out.flush();
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        in.transferTo(answer);
        return answer.toString(StandardCharsets.UTF_8);
    }
}
