package io.lightd.server.it;

import static io.lightd.server.it.WsClient.daemon;
import static io.lightd.server.it.WsClient.state;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jwt.JWTClaimsSet;
import io.lightd.server.auth.PanelSigner;
import io.lightd.server.ws.LiveSessions;
import io.lightd.server.ws.TokenHandshakeHandler;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * Console tokens against a real daemon (process runtime), real HTTP and WebSocket clients: the
 * master token is the only admin credential; issued and panel-signed tokens open only the
 * containers they name, with only the permissions they carry; signed tokens are checked against
 * the configured keys, are refused before their {@code nbf}, expire (a session closing at {@code exp}
 * plus the clock skew), are revoked (by {@code jti} or subject, live sessions closed with 4003) and
 * used once, and all of that survives a restart.
 */
class ConsoleTokenIntegrationTest {

    @RegisterExtension
    final LightdExtension lightd = LightdExtension.builder()
            .runtime(Daemon.Runtime.PROCESS)
            .limit("auth_failures_per_ip_per_minute", 1000)
            .configure(this::configure)
            .build();

    private static final String AUD = "node-under-test";
    /** authorization.jwt.clock_skew_seconds here: short, so a session admitted within it ends soon. */
    private static final int SKEW_SECONDS = 4;
    private final OctetSequenceKey secret = PanelSigner.hs256("panel-hs-1");
    private final OctetKeyPair ed = PanelSigner.ed25519("panel-ed-1");
    private final OctetKeyPair nextEd = PanelSigner.ed25519("panel-ed-2");
    /** The node's keys; a test changes them and restarts the daemon to rotate. */
    private List<JWK> nodeKeys = List.of(secret, ed, nextEd);

    private void configure(JsonObject config) {
        JsonObject jwt = config.getAsJsonObject("authorization").getAsJsonObject("jwt");
        jwt.add("keys", PanelSigner.nodeKeys(nodeKeys.toArray(new JWK[0])));
        jwt.addProperty("audience", AUD);
        jwt.addProperty("clock_skew_seconds", SKEW_SECONDS);
    }

    private String issue(String body) {
        Daemon.Reply r = lightd.daemon().request("POST", "/auth/tokens", body);
        assertThat(r.status()).as(r.body().toString()).isEqualTo(201);
        return r.body().get("token").getAsString();
    }

    private static JWTClaimsSet.Builder claims(List<String> containers, List<String> permissions) {
        return PanelSigner.claims(AUD, containers, permissions, Duration.ofMinutes(10));
    }

    /** Status and body text of a request with {@code token} as bearer (any content type). */
    private record Raw(int status, String body) {
    }

    private Raw raw(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(lightd.daemon().uri(path)).timeout(Duration.ofSeconds(15))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .header("Authorization", "Bearer " + token);
        HttpResponse<String> r = lightd.daemon().http().send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Raw(r.statusCode(), r.body());
    }

    private WsClient open(String id, String token) {
        WsClient c = lightd.daemon().ws(id, token);
        lightd.closeAfter(c);
        return c;
    }

    // ---- REST: the master token only ----

    @Test
    void everyAdminRouteRefusesEachKindOfConsoleTokenWith403AndTakesTheMasterToken() throws Exception {
        String victim = lightd.id("victim");
        DaemonHealth.startEchoServer(lightd.daemon(), victim);
        String someIssued = issue("{\"ttl\":\"1h\"}");
        List<String[]> routes = List.of(
                new String[] {"POST", "/auth/tokens", "{\"ttl\":\"365d\"}"},
                new String[] {"DELETE", "/auth/tokens/" + someIssued, null},
                new String[] {"POST", "/auth/revocations", "{\"jti\":\"some-jti\"}"},
                new String[] {"POST", "/containers", "{\"internal_id\":\"" + lightd.id("new") + "\",\"image\":\"local\","
                        + "\"startup_command\":\"true\"}"},
                new String[] {"GET", "/containers", null},
                new String[] {"GET", "/containers/" + victim, null},
                new String[] {"POST", "/containers/" + victim + "/command", "{\"command\":\"from rest\\n\"}"},
                new String[] {"POST", "/containers/" + victim + "/reinstall", null},
                new String[] {"POST", "/containers/" + victim + "/start", null},
                new String[] {"POST", "/containers/" + victim + "/stop", null},
                new String[] {"POST", "/containers/" + victim + "/restart", null},
                new String[] {"POST", "/containers/" + victim + "/kill", null},
                new String[] {"GET", "/metrics", null},
                new String[] {"DELETE", "/containers/" + victim, null});
        Map<String, String> consoleTokens = Map.of(
                "issued for any container", issue("{\"ttl\":\"15m\"}"),
                "issued for the victim only", issue("{\"ttl\":\"15m\",\"containers\":[\"" + victim + "\"]}"),
                "issued single-use", issue("{\"ttl\":\"15m\",\"remove_on_use\":true}"),
                "signed HS256", PanelSigner.sign(secret, claims(List.of(victim), List.of("console", "command", "power"))
                        .build()));
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, String> token : consoleTokens.entrySet()) {
            for (String[] route : routes) {
                Raw r = raw(route[0], route[1], route[2], token.getValue());
                boolean refusedAsConsole = r.status() == 403 && JsonParser.parseString(r.body()).getAsJsonObject()
                        .get("error").getAsString().contains("console token");
                if (!refusedAsConsole) {
                    wrong.add(token.getKey() + ": " + route[0] + " " + route[1] + " -> " + r.status() + " " + r.body());
                }
            }
        }
        assertThat(wrong).as("admin routes that did not refuse a console token with 403").isEmpty();

        // Nothing happened: the victim still runs, and the single-use token was not used up by REST.
        WsClient watcher = lightd.ws(victim);
        assertThat(WsClient.describe(watcher.next())).isEqualTo("event:running");
        open(victim, consoleTokens.get("issued single-use")).await(state("running"));

        // The master token passes every one (what each route then answers is its own business:
        // reinstalling a running server is a 409, for one).
        for (String[] route : routes) {
            Raw r = raw(route[0], route[1], route[2], Daemon.TOKEN);
            assertThat(r.status()).as("master: " + route[0] + " " + route[1] + " " + r.body())
                    .isNotIn(401, 403).isLessThan(500);
        }
        assertThat(lightd.daemon().request("GET", "/containers/" + victim, null).status()).as("deleted by the master")
                .isEqualTo(404);
        assertThat(lightd.daemon().request("GET", "/api/v1/public/ping", null, null).status()).isEqualTo(200);
    }

    @Test
    void issuingValidatesAndEchoesContainersAndPermissions() {
        Daemon.Reply r = lightd.daemon().request("POST", "/auth/tokens",
                "{\"ttl\":\"5m\",\"containers\":[\"a-1\",\"b-2\"],\"permissions\":[\"command\",\"power.start\"]}");
        assertThat(r.status()).isEqualTo(201);
        assertThat(r.body().get("containers").toString()).isEqualTo("[\"a-1\",\"b-2\"]");
        assertThat(r.body().get("permissions").toString()).isEqualTo("[\"console\",\"command\",\"power.start\"]");
        Daemon.Reply all = lightd.daemon().request("POST", "/auth/tokens", "{\"ttl\":\"5m\"}");
        assertThat(all.body().get("containers").isJsonNull()).isTrue();
        assertThat(all.body().get("permissions").getAsJsonArray()).hasSize(6);
        for (String bad : List.of("{\"permissions\":[\"power.explode\"]}", "{\"permissions\":[]}",
                "{\"containers\":[]}", "{\"containers\":[\"../x\"]}", "{\"containers\":\"a-1\"}",
                "{\"permissions\":[7]}")) {
            Daemon.Reply refused = lightd.daemon().request("POST", "/auth/tokens", bad);
            assertThat(refused.status()).as(bad).isEqualTo(400);
            assertThat(refused.body().get("error").getAsString()).as(bad).isNotBlank();
        }
    }

    // ---- Scope and permissions on the WebSocket ----

    @Test
    void aTokenForOneContainerOpensItAndIsRefusedWith403OnAnother() {
        String a = lightd.id("a");
        String b = lightd.id("b");
        DaemonHealth.startEchoServer(lightd.daemon(), a);
        DaemonHealth.startEchoServer(lightd.daemon(), b);
        String forA = issue("{\"ttl\":\"15m\",\"containers\":[\"" + a + "\"]}");
        assertThat(WsClient.describe(open(a, forA).next())).isEqualTo("event:running");
        assertThat(lightd.daemon().refusedStatus("/ws/" + b + "?token=" + forA, Map.of())).isEqualTo(403);
        assertThat(lightd.daemon().refusedStatus("/ws/" + b, Map.of("Authorization", "Bearer " + forA))).isEqualTo(403);

        String onceForA = issue("{\"ttl\":\"15m\",\"remove_on_use\":true,\"containers\":[\"" + a + "\"]}");
        assertThat(lightd.daemon().refusedStatus("/ws/" + b + "?token=" + onceForA, Map.of())).as("not covered").isEqualTo(403);
        assertThat(WsClient.describe(open(a, onceForA).next())).as("a 403 does not use a single-use token up")
                .isEqualTo("event:running");
        assertThat(lightd.daemon().refusedStatus("/ws/" + a + "?token=" + onceForA, Map.of())).isEqualTo(401);

        String signedForA = PanelSigner.sign(ed, claims(List.of(a), List.of("console")).build());
        assertThat(WsClient.describe(open(a, signedForA).next())).isEqualTo("event:running");
        assertThat(lightd.daemon().refusedStatus("/ws/" + b + "?token=" + signedForA, Map.of())).isEqualTo(403);
    }

    @Test
    void aReadOnlyTokenWatchesButItsCommandsAndPowerActionsAreRefusedAndChangeNothing() {
        String id = lightd.id("ro");
        DaemonHealth.startEchoServer(lightd.daemon(), id);
        WsClient master = lightd.ws(id);
        master.await(state("running"));
        String readOnly = issue("{\"ttl\":\"15m\",\"containers\":[\"" + id + "\"],\"permissions\":[\"console\"]}");
        WsClient ro = open(id, readOnly);
        assertThat(WsClient.describe(ro.next())).isEqualTo("event:running");
        ro.await(m -> m.get("event").getAsString().equals("stats"));

        ro.send("{\"event\":\"send_command\",\"command\":\"sneaky\\n\"}");
        ro.await(daemon("Error: permission denied (command)"));
        for (String action : List.of("start", "stop", "restart", "kill")) {
            ro.send("{\"event\":\"power\",\"action\":\"" + action + "\"}");
            ro.await(daemon("Error: permission denied (power." + action + ")"));
        }
        ro.send("{\"event\":\"request_logs\"}");
        assertThat(ro.await(m -> m.get("event").getAsString().equals("logs")).get("data").getAsString())
                .doesNotContain("sneaky");

        master.send("{\"event\":\"send_command\",\"command\":\"marker\\n\"}");
        List<JsonObject> seenByMaster = master.until(m -> m.get("event").getAsString().equals("console")
                && m.get("data").getAsString().contains("echo: marker\n"));
        assertThat(ConsoleScenarios.consoleText(seenByMaster, "console")).doesNotContain("sneaky");
        assertThat(ConsoleScenarios.withoutConsole(seenByMaster)).as("the state did not move")
                .noneMatch(e -> e.startsWith("event:"));
        List<JsonObject> seenByRo = ro.until(m -> m.get("event").getAsString().equals("console")
                && m.get("data").getAsString().contains("echo: marker\n"));
        assertThat(ConsoleScenarios.withoutConsole(seenByRo)).noneMatch(e -> e.startsWith("event:"));
        assertThat(ro.isClosed()).isFalse();
        DaemonHealth.assertServesAFreshClient(lightd.daemon(), id);
    }

    @Test
    void aCommandOnlyTokenSendsCommandsButCannotKill() {
        String id = lightd.id("cmd");
        DaemonHealth.startEchoServer(lightd.daemon(), id);
        String token = PanelSigner.sign(secret, claims(List.of(id), List.of("command")).build());
        WsClient c = open(id, token);
        c.await(state("running"));
        c.send("{\"event\":\"send_command\",\"command\":\"allowed\\n\"}");
        c.await(m -> m.get("event").getAsString().equals("console")
                && m.get("data").getAsString().contains("echo: allowed\n"));
        c.send("{\"event\":\"power\",\"action\":\"kill\"}");
        c.await(daemon("Error: permission denied (power.kill)"));
        DaemonHealth.assertServesAFreshClient(lightd.daemon(), id);
    }

    // ---- Signed tokens ----

    @Test
    void signedTokensOpenAConsoleAndEachBadOneIsRefusedWith401AndItsOwnLogLine() {
        String id = lightd.id("jwt");
        DaemonHealth.startEchoServer(lightd.daemon(), id);
        List<String> all = List.of("console", "command", "power");
        assertThat(WsClient.describe(open(id, PanelSigner.sign(secret, claims(List.of(id), all).build())).next()))
                .isEqualTo("event:running");
        String edToken = PanelSigner.sign(ed, claims(List.of(id), all).build());
        WsClient viaHeader = WsClient.connect(lightd.daemon().http(), lightd.daemon().wsUri("/ws/" + id),
                Map.of("Authorization", "Bearer " + edToken));
        lightd.closeAfter(viaHeader);
        assertThat(WsClient.describe(viaHeader.next())).isEqualTo("event:running");
        viaHeader.send("{\"event\":\"send_command\",\"command\":\"signed\\n\"}");
        viaHeader.await(m -> m.get("event").getAsString().equals("console")
                && m.get("data").getAsString().contains("echo: signed\n"));

        Instant now = Instant.now();
        Map<String, String> bad = Map.of(
                "alg none is not accepted", PanelSigner.unsigned(claims(List.of(id), all).build()),
                "unknown kid", PanelSigner.sign(PanelSigner.hs256("stranger"), claims(List.of(id), all).build()),
                "wrong audience", PanelSigner.sign(secret, claims(List.of(id), all).audience("another-node").build()),
                "expired", PanelSigner.sign(ed, claims(List.of(id), all).issueTime(Date.from(now.minusSeconds(900)))
                        .expirationTime(Date.from(now.minusSeconds(300))).build()),
                "bad signature", PanelSigner.sign(PanelSigner.ed25519("forger"), "panel-ed-1",
                        claims(List.of(id), all).build()),
                "not yet valid (nbf)", PanelSigner.sign(ed, claims(List.of(id), all)
                        .notBeforeTime(Date.from(now.plusSeconds(600))).build()),
                "crit header not supported", PanelSigner.sign(secret, Set.of("urn:example:policy"),
                        claims(List.of(id), all).build().toString()),
                "bad claim exp: not a NumericDate between 1970 and 9999", PanelSigner.sign(secret, Set.of(),
                        claims(List.of(id), all).build().toString().replaceFirst("\"exp\":[0-9]+",
                                "\"exp\":1000000000000000000000000000000")));
        Logger logger = (Logger) LoggerFactory.getLogger(TokenHandshakeHandler.class);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        logger.addAppender(lines);
        try {
            for (Map.Entry<String, String> e : bad.entrySet()) {
                assertThat(lightd.daemon().refusedStatus("/ws/" + id + "?token=" + e.getValue(), Map.of()))
                        .as(e.getKey()).isEqualTo(401);
            }
        } finally {
            logger.detachAppender(lines);
        }
        List<String> logged = lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        for (Map.Entry<String, String> e : bad.entrySet()) {
            assertThat(logged).as("a log line for " + e.getKey())
                    .anyMatch(l -> l.contains("refused with 401") && l.contains("signed token: " + e.getKey()));
            String signature = e.getValue().substring(e.getValue().lastIndexOf('.') + 1);
            assertThat(logged).as("the token stays out of the log").noneMatch(l -> l.contains(e.getValue())
                    || !signature.isEmpty() && l.contains(signature));
        }
    }

    @Test
    void aSignedSessionClosesAtItsExpPlusTheSkewWith4001() {
        String id = lightd.id("exp");
        DaemonHealth.startEchoServer(lightd.daemon(), id);
        Instant now = Instant.now();
        String token = PanelSigner.sign(secret, claims(List.of(id), List.of("console")).issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(2))).build());
        WsClient c = open(id, token);
        c.await(state("running"));
        assertThat(c.awaitClose()).isEqualTo(new WsClient.Close(LiveSessions.CLOSE_TOKEN_EXPIRED, "token expired"));
    }

    @Test
    void aSignedTokenLetInWithinTheSkewAfterItsExpLivesUntilExpPlusTheSkewThenCloses4001() {
        String id = lightd.id("skew");
        DaemonHealth.startEchoServer(lightd.daemon(), id);
        Instant exp = Instant.now().minusSeconds(1).truncatedTo(ChronoUnit.SECONDS);
        String token = PanelSigner.sign(secret, claims(List.of(id), List.of("console"))
                .issueTime(Date.from(exp.minusSeconds(600))).expirationTime(Date.from(exp)).build());
        WsClient c = open(id, token);
        assertThat(WsClient.describe(c.next())).as("admitted, and not closed at once").isEqualTo("event:running");
        c.send("{\"event\":\"request_logs\"}");
        c.await(m -> m.get("event").getAsString().equals("logs"));
        assertThat(c.awaitClose()).isEqualTo(new WsClient.Close(LiveSessions.CLOSE_TOKEN_EXPIRED, "token expired"));
        assertThat(Instant.now()).as("closed once the node stops accepting the token")
                .isAfterOrEqualTo(exp.plusSeconds(SKEW_SECONDS));
        assertThat(lightd.daemon().refusedStatus("/ws/" + id + "?token=" + token, Map.of())).isEqualTo(401);
    }

    @Test
    void aRemovedKeysTokensAreRefusedAfterTheRotation() throws Exception {
        String id = lightd.id("rot");
        DaemonHealth.startEchoServer(lightd.daemon(), id);
        String old = PanelSigner.sign(ed, claims(List.of(id), List.of("console")).build());
        String fresh = PanelSigner.sign(nextEd, claims(List.of(id), List.of("console")).build());
        open(id, old).close();
        open(id, fresh).close();
        nodeKeys = List.of(secret, nextEd);
        lightd.daemon().restart();
        assertThat(lightd.daemon().refusedStatus("/ws/" + id + "?token=" + old, Map.of())).isEqualTo(401);
        WsClient c = open(id, fresh);
        c.send("{\"event\":\"request_logs\"}");
        c.await(m -> m.get("event").getAsString().equals("logs"));
    }

    @Test
    void revocationsByJtiAndBySubjectCloseLiveSessionsWith4003AndSurviveARestart() throws Exception {
        String id = lightd.id("rev");
        DaemonHealth.startEchoServer(lightd.daemon(), id);
        String byJti = PanelSigner.sign(secret, claims(List.of(id), List.of("console")).jwtID("console-7").build());
        String bySubject = PanelSigner.sign(ed, claims(List.of(id), List.of("console")).subject("user-42").build());
        String otherSubject = PanelSigner.sign(ed, claims(List.of(id), List.of("console")).subject("user-43")
                .jwtID("console-8").build());
        WsClient jtiSession = open(id, byJti);
        WsClient subjectSession = open(id, bySubject);
        WsClient untouched = open(id, otherSubject);
        for (WsClient c : List.of(jtiSession, subjectSession, untouched)) {
            c.await(state("running"));
        }

        Daemon.Reply r = lightd.daemon().request("POST", "/auth/revocations", "{\"jti\":\"console-7\"}");
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        assertThat(jtiSession.awaitClose()).isEqualTo(new WsClient.Close(LiveSessions.CLOSE_TOKEN_REVOKED, "token revoked"));
        assertThat(subjectSession.isClosed()).isFalse();

        r = lightd.daemon().request("POST", "/auth/revocations",
                "{\"subject\":\"user-42\",\"issued_before\":\"" + Instant.now().plusSeconds(1) + "\"}");
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        assertThat(subjectSession.awaitClose())
                .isEqualTo(new WsClient.Close(LiveSessions.CLOSE_TOKEN_REVOKED, "token revoked"));
        untouched.send("{\"event\":\"request_logs\"}");
        untouched.await(m -> m.get("event").getAsString().equals("logs"));
        assertThat(untouched.isClosed()).isFalse();
        assertThat(lightd.daemon().refusedStatus("/ws/" + id + "?token=" + byJti, Map.of())).isEqualTo(401);
        assertThat(lightd.daemon().refusedStatus("/ws/" + id + "?token=" + bySubject, Map.of())).isEqualTo(401);

        for (String badBody : List.of("{}", "{\"jti\":\"a\",\"subject\":\"b\"}", "{\"subject\":\"user-42\"}")) {
            Daemon.Reply refused = lightd.daemon().request("POST", "/auth/revocations", badBody);
            assertThat(refused.status()).as(badBody).isEqualTo(400);
            assertThat(refused.body().get("error").getAsString()).as(badBody).isNotBlank();
        }
        for (String badDate : List.of("yesterday", "+999999999-12-31T23:59:59Z", "+2026-11-29T12:00:00Z",
                "12026-11-29T12:00:00Z", "2026-11-29 12:00:00Z", "2026-11-29T12:00:00")) {
            Daemon.Reply refused = lightd.daemon().request("POST", "/auth/revocations",
                    "{\"subject\":\"user-43\",\"issued_before\":\"" + badDate + "\"}");
            assertThat(refused.status()).as(badDate).isEqualTo(400);
            assertThat(refused.body().get("error").getAsString()).as(badDate)
                    .isEqualTo("issued_before must be an RFC 3339 time, e.g. 2026-11-29T12:00:00Z");
        }
        Daemon.Reply future = lightd.daemon().request("POST", "/auth/revocations",
                "{\"subject\":\"user-43\",\"issued_before\":\"" + Instant.now().plusSeconds(3600) + "\"}");
        assertThat(future.status()).isEqualTo(400);
        assertThat(future.body().get("error").getAsString()).startsWith("issued_before is in the future");
        untouched.send("{\"event\":\"request_logs\"}");
        untouched.await(m -> m.get("event").getAsString().equals("logs"));
        assertThat(untouched.isClosed()).as("user-43 was never revoked").isFalse();

        lightd.daemon().restart();
        assertThat(lightd.daemon().refusedStatus("/ws/" + id + "?token=" + byJti, Map.of())).isEqualTo(401);
        assertThat(lightd.daemon().refusedStatus("/ws/" + id + "?token=" + bySubject, Map.of())).isEqualTo(401);
        WsClient after = open(id, otherSubject);
        after.send("{\"event\":\"request_logs\"}");
        after.await(m -> m.get("event").getAsString().equals("logs"));
    }

    @Test
    void aOnceTokenIsRefusedOnItsSecondUseAlsoAfterARestart() throws Exception {
        String id = lightd.id("once");
        DaemonHealth.startEchoServer(lightd.daemon(), id);
        String once = PanelSigner.sign(ed, claims(List.of(id), List.of("console")).jwtID("once-1")
                .claim("once", true).build());
        String unused = PanelSigner.sign(ed, claims(List.of(id), List.of("console")).jwtID("once-2")
                .claim("once", true).build());
        open(id, once).await(state("running"));
        assertThat(lightd.daemon().refusedStatus("/ws/" + id + "?token=" + once, Map.of())).isEqualTo(401);

        lightd.daemon().restart();
        assertThat(lightd.daemon().refusedStatus("/ws/" + id + "?token=" + once, Map.of())).isEqualTo(401);
        WsClient c = open(id, unused);
        c.send("{\"event\":\"request_logs\"}");
        c.await(m -> m.get("event").getAsString().equals("logs"));
        assertThat(lightd.daemon().refusedStatus("/ws/" + id + "?token=" + unused, Map.of())).isEqualTo(401);
    }

    @Test
    void theConsolePageLearnsWhatItsTokenMayDoWithoutUsingItUp() throws Exception {
        String id = lightd.id("page");
        String once = issue("{\"ttl\":\"15m\",\"remove_on_use\":true,\"containers\":[\"" + id + "\"],"
                + "\"permissions\":[\"power.start\"]}");
        Raw r = raw("GET", "/console/" + id + "/session", null, once);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonObject session = JsonParser.parseString(r.body()).getAsJsonObject();
        assertThat(session.get("permissions").toString()).isEqualTo("[\"console\",\"power.start\"]");
        assertThat(session.get("internal_id").getAsString()).isEqualTo(id);
        assertThat(raw("GET", "/console/" + lightd.id("other") + "/session", null, once).status()).isEqualTo(403);
        assertThat(raw("GET", "/console/" + id + "/session", null, "lightd_nope-nope-nope-nope").status())
                .isEqualTo(401);
        open(id, once).close();
        assertThat(raw("GET", "/console/" + id + "/session", null, once).status()).isEqualTo(401);
        JsonArray masterPermissions = JsonParser.parseString(raw("GET", "/console/" + id + "/session", null,
                Daemon.TOKEN).body()).getAsJsonObject().getAsJsonArray("permissions");
        assertThat(masterPermissions).hasSize(6);
    }
}
