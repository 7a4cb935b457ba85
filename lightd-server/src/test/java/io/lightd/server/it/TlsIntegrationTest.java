package io.lightd.server.it;

import static io.lightd.server.it.WsClient.daemon;
import static io.lightd.server.it.WsClient.state;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * REST and WebSocket over TLS ({@code server.ssl}) with the JDK's own clients, trusting only the
 * test certificate (a self-signed pair for 127.0.0.1 under {@code src/test/resources/tls}, valid
 * for a hundred years, used by nothing else).
 */
class TlsIntegrationTest {

    @RegisterExtension
    static final LightdExtension lightd = LightdExtension.builder()
            .runtime(Daemon.Runtime.PROCESS)
            .configure(TlsIntegrationTest::configure)
            .httpClient(trustingTestCertificate())
            .build();

    private static void configure(JsonObject config) {
        JsonObject ssl = config.getAsJsonObject("server").getAsJsonObject("ssl");
        ssl.addProperty("enabled", true);
        ssl.addProperty("cert", resource("cert.pem").toString());
        ssl.addProperty("key", resource("key.pem").toString());
    }

    /** A client that trusts the test certificate. */
    private static HttpClient trustingTestCertificate() {
        try (InputStream in = TlsIntegrationTest.class.getResourceAsStream("/tls/cert.pem")) {
            KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
            trusted.load(null, null);
            trusted.setCertificateEntry("lightd-test", CertificateFactory.getInstance("X.509").generateCertificate(in));
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(5)).build();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static Path resource(String name) {
        try {
            return Path.of(TlsIntegrationTest.class.getResource("/tls/" + name).toURI());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void restAndWebSocketSpeakTls() {
        assertThat(lightd.daemon().uri("/").getScheme()).isEqualTo("https");
        assertThat(lightd.daemon().request("GET", "/api/v1/public/ping", null, null).status()).isEqualTo(200);
        String id = lightd.id("tls-1");
        lightd.create(id, "cat", null, null);
        WsClient c = lightd.ws(id);
        c.await(state("installed"));
        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        c.await(daemon("Container started"));
        c.send("{\"event\":\"send_command\",\"command\":\"over tls\\n\"}");
        assertThat(c.await(m -> m.get("event").getAsString().equals("console")).get("data").getAsString())
                .isEqualTo("over tls\n");
    }

    @Test
    void plainHttpOnTheTlsPortGetsNoAnswerAndHarmsNothing() throws Exception {
        try (RawHttp c = RawHttp.open(lightd.daemon().server().port())) {
            c.send("GET /api/v1/public/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            assertThat(c.closedWithin(Duration.ofSeconds(5))).isTrue();
        }
        assertThat(lightd.daemon().request("GET", "/api/v1/public/ping", null, null).status()).isEqualTo(200);
    }
}
