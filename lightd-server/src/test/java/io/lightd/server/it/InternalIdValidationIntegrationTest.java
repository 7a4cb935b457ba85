package io.lightd.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An {@code internal_id} that could leave its folder (traversal, slashes, absolute paths, their
 * percent-encoded forms) is a 400 wherever an id arrives: the create body, the REST path and the
 * WebSocket path. Requests are written byte for byte on a raw socket, so no client normalises them.
 * Every volume of an accepted id lies inside {@code storage.base_path}.
 */
class InternalIdValidationIntegrationTest {

    @RegisterExtension
    static final LightdExtension lightd = LightdExtension.builder()
            .runtime(Daemon.Runtime.PROCESS)
            .build();

    private static final List<String> BAD_IDS = List.of("..", "../x", "a/b", "/etc", "/tmp/x", "..%2Fx", "%2e%2e",
            "a\\b", ".hidden", "a..b", "x".repeat(65), "");
    private static final List<String> BAD_PATH_SEGMENTS = List.of("..", "..%2Fx", "%2e%2e", "%2E%2E%2Fetc",
            "a%2Fb", "%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fdata", ".hidden", "a..b", "");

    @Test
    void traversalInACreateBodyIsRefusedAndCreatesNothing() throws Exception {
        for (String id : BAD_IDS) {
            JsonObject body = new JsonObject();
            body.addProperty("internal_id", id);
            body.addProperty("image", "local");
            body.addProperty("startup_command", "true");
            Daemon.Reply r = lightd.daemon().request("POST", "/containers", body.toString());
            assertThat(r.status()).as(id).isEqualTo(400);
            assertThat(r.body().get("error").getAsString()).startsWith("internal_id must");
        }
        assertThat(lightd.daemon().request("GET", "/containers", null).body().getAsJsonArray("containers")).isEmpty();
        assertThat(entries(lightd.storage())).doesNotContain("x", "etc", "tmp", "a", "b");
    }

    @Test
    void traversalInARestPathIsRefused() throws Exception {
        for (String segment : BAD_PATH_SEGMENTS) {
            for (String request : List.of("GET /containers/" + segment, "DELETE /containers/" + segment + "?purge=true",
                    "POST /containers/" + segment + "/start")) {
                assertThat(status(request, "")).as(request).isEqualTo(400);
            }
        }
        assertThat(status("GET /containers//etc/passwd", "")).isEqualTo(400);
        assertThat(status("GET /containers/../../etc/passwd", "")).isEqualTo(400);
    }

    @Test
    void traversalInAWebSocketPathIsRefusedBeforeTheUpgrade() throws Exception {
        String upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
        for (String segment : BAD_PATH_SEGMENTS) {
            String request = "GET /ws/" + segment + "?token=" + Daemon.TOKEN;
            assertThat(status(request, upgrade)).as(request).isEqualTo(400);
        }
        assertThat(status("GET /ws//etc/passwd?token=" + Daemon.TOKEN, upgrade)).isEqualTo(400);
        assertThat(status("GET /ws/../../etc?token=" + Daemon.TOKEN, upgrade)).isEqualTo(400);
    }

    @Test
    void everyVolumeLiesInsideTheStorageFolder() throws Exception {
        List<String> ids = List.of(lightd.id("a.b"), lightd.id("x_1-2"), lightd.id("Z.9"));
        for (String id : ids) {
            lightd.create(id, "true", null, null);
        }
        Path base = lightd.storage().toRealPath();
        Path volumes = base.resolve("volumes");
        for (String id : ids) {
            lightd.ws(id).await(WsClient.state("installed"));
            Path volume = volumes.resolve(id);
            assertThat(volume).isDirectory();
            assertThat(volume.toRealPath().getParent()).isEqualTo(volumes);
        }
        assertThat(entries(volumes)).isEqualTo(Set.copyOf(ids));
    }

    private static Set<String> entries(Path folder) throws Exception {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }

    /** Sends {@code requestLine} as is, with the master token and {@code headers}; the answer's status. */
    private int status(String requestLine, String headers) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", lightd.daemon().server().port())) {
            OutputStream out = socket.getOutputStream();
            out.write((requestLine + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + Daemon.TOKEN
                    + "\r\nContent-Length: 0\r\nConnection: close\r\n" + headers + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String statusLine = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII)).readLine();
            return Integer.parseInt(statusLine.split(" ")[1]);
        }
    }
}
