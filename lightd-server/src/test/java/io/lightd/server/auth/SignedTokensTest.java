package io.lightd.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jwt.JWTClaimsSet;
import io.lightd.server.config.ConfigException;
import io.lightd.server.config.ConfigLoader;
import io.lightd.server.config.LightdConfig;
import io.lightd.server.store.JsonFileStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Panel-signed console tokens: what is accepted, and each way a token is refused, with its own reason. */
class SignedTokensTest {

    private static final String AUD = "node-7.example";
    private static final List<String> ONE = List.of("srv-1");
    private static final List<String> ALL_PERMS = List.of("console", "command", "power");

    @TempDir
    Path dir;
    private final OctetSequenceKey secret = PanelSigner.hs256("hs-1");
    private final OctetKeyPair ed = PanelSigner.ed25519("ed-1");
    private final ECKey ec = PanelSigner.es256("ec-1");
    private Revocations revocations;
    private SignedTokens signed;

    private LightdConfig.Jwt config(com.nimbusds.jose.jwk.JWK... keys) throws ConfigException {
        JsonObject json = ConfigLoader.defaultsJson("lightd_signed-tokens-test-master");
        JsonObject jwt = json.getAsJsonObject("authorization").getAsJsonObject("jwt");
        jwt.add("keys", PanelSigner.nodeKeys(keys));
        jwt.addProperty("audience", AUD);
        return ConfigLoader.parse(json, dir).jwt();
    }

    private SignedTokens verifier(LightdConfig.Jwt jwt) {
        revocations = new Revocations(Clock.systemUTC(), jwt.maxLifetime(), jwt.clockSkew(),
                new JsonFileStore.Factory(dir, Runnable::run));
        return new SignedTokens(jwt, revocations, Clock.systemUTC());
    }

    @BeforeEach
    void setUp() throws Exception {
        signed = verifier(config(secret, ed, ec));
    }

    private static JWTClaimsSet.Builder claims() {
        return PanelSigner.claims(AUD, ONE, List.of("console", "power.start"), Duration.ofMinutes(5));
    }

    private String reason(String token) {
        SignedTokens.Result r = signed.verify(token, true);
        assertThat(r).isInstanceOf(SignedTokens.Result.Refused.class);
        return ((SignedTokens.Result.Refused) r).reason();
    }

    private TokenStore.Grant accepted(String token) {
        SignedTokens.Result r = signed.verify(token, true);
        assertThat(r).as(r.toString()).isInstanceOf(SignedTokens.Result.Accepted.class);
        return ((SignedTokens.Result.Accepted) r).grant();
    }

    @Test
    void hs256Ed25519AndEs256TokensAreAcceptedWithTheirScope() {
        for (com.nimbusds.jose.jwk.JWK key : List.of(secret, ed, ec)) {
            TokenStore.Grant g = accepted(PanelSigner.sign(key, claims().subject("user-42").jwtID("j-" + key.getKeyID())
                    .build()));
            assertThat(g.kind()).isEqualTo(TokenStore.Kind.SIGNED);
            assertThat(g.scope().covers("srv-1")).isTrue();
            assertThat(g.scope().covers("srv-2")).isFalse();
            assertThat(g.scope().allows(Permission.CONSOLE)).isTrue();
            assertThat(g.scope().allows(Permission.POWER_START)).isTrue();
            assertThat(g.scope().allows(Permission.POWER_KILL)).isFalse();
            assertThat(g.scope().allows(Permission.COMMAND)).isFalse();
            assertThat(g.subject()).isEqualTo("user-42");
            assertThat(g.jti()).isEqualTo("j-" + key.getKeyID());
        }
    }

    @Test
    void eachBadTokenIsRefusedForItsOwnReason() {
        Instant now = Instant.now();
        assertThat(reason(PanelSigner.unsigned(claims().build()))).isEqualTo("alg none is not accepted");
        assertThat(reason(PanelSigner.sign(PanelSigner.hs256("other"), claims().build()))).isEqualTo("unknown kid");
        assertThat(reason(PanelSigner.sign(PanelSigner.hs256("x"), "hs-1", claims().build()))).isEqualTo("bad signature");
        assertThat(reason(PanelSigner.sign(PanelSigner.ed25519("x"), "ed-1", claims().build()))).isEqualTo("bad signature");
        assertThat(reason(PanelSigner.sign(secret, claims().audience("node-8.example").build())))
                .isEqualTo("wrong audience");
        assertThat(reason(PanelSigner.sign(secret, claims().issueTime(Date.from(now.minusSeconds(600)))
                .expirationTime(Date.from(now.minusSeconds(31))).build()))).isEqualTo("expired");
        assertThat(reason(PanelSigner.sign(secret, claims().expirationTime(null).build()))).isEqualTo("missing claim exp");
        assertThat(reason(PanelSigner.sign(secret, claims().issueTime(null).build()))).isEqualTo("missing claim iat");
        assertThat(reason(PanelSigner.sign(secret, claims().audience((String) null).build())))
                .isEqualTo("missing claim aud");
        assertThat(reason(PanelSigner.sign(secret, claims().claim("containers", null).build())))
                .isEqualTo("missing claim containers");
        assertThat(reason(PanelSigner.sign(secret, claims().claim("permissions", List.of("power.explode")).build())))
                .startsWith("bad claim permissions: unknown permission");
        assertThat(reason(PanelSigner.sign(secret, claims().expirationTime(Date.from(now.plus(Duration.ofDays(2))))
                .build()))).isEqualTo("lives longer than authorization.jwt.max_lifetime_seconds");
        // A token signed with the secret but claiming an asymmetric algorithm in its header.
        String[] parts = PanelSigner.sign(ec, "hs-1", claims().build()).split("\\.");
        assertThat(reason(String.join(".", parts))).isEqualTo("alg ES256 does not fit key hs-1");
    }

    @Test
    void withinTheClockSkewAnExpiredTokenStillPassesUntilExpPlusTheSkew() {
        Instant exp = Instant.now().minusSeconds(10).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        TokenStore.Grant g = accepted(PanelSigner.sign(secret, claims().issueTime(Date.from(exp.minusSeconds(600)))
                .expirationTime(Date.from(exp)).build()));
        assertThat(g.expiresAt()).as("where its session closes with 4001").isEqualTo(exp.plusSeconds(30));
        Instant later = Instant.now().plusSeconds(300).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        assertThat(accepted(PanelSigner.sign(secret, claims().expirationTime(Date.from(later)).build())).expiresAt())
                .isEqualTo(later.plusSeconds(30));
    }

    @Test
    void aTokenIsRefusedBeforeItsNbfAndAcceptedFromItWithinTheSkew() {
        Instant now = Instant.now();
        assertThat(reason(PanelSigner.sign(secret, claims().notBeforeTime(Date.from(now.plusSeconds(600))).build())))
                .isEqualTo("not yet valid (nbf)");
        assertThat(reason(PanelSigner.sign(secret, claims().notBeforeTime(Date.from(now.plusSeconds(31))).build())))
                .as("just past the skew").isEqualTo("not yet valid (nbf)");
        accepted(PanelSigner.sign(secret, claims().notBeforeTime(Date.from(now.plusSeconds(10))).build()));
        accepted(PanelSigner.sign(secret, claims().notBeforeTime(Date.from(now.minusSeconds(60))).build()));
    }

    @Test
    void aCritHeaderAndTimeClaimsOutOfRangeAreRefusedForTheirOwnReasons() {
        long now = Instant.now().getEpochSecond();
        String scope = "\"aud\":\"" + AUD + "\",\"containers\":[\"srv-1\"],\"permissions\":[\"console\"]";
        String good = "{" + scope + ",\"iat\":" + now + ",\"exp\":" + (now + 300) + "}";
        accepted(PanelSigner.sign(secret, java.util.Set.of(), good));
        assertThat(reason(PanelSigner.sign(secret, java.util.Set.of("urn:example:policy"), good)))
                .isEqualTo("crit header not supported");
        assertThat(reason(PanelSigner.sign(ed, java.util.Set.of("urn:example:policy"), good)))
                .isEqualTo("crit header not supported");
        for (String exp : List.of("1000000000000000000000000000000", "9223372036854775813", "9223372036854775807",
                "253402300800", "-1")) {
            assertThat(reason(PanelSigner.sign(secret, java.util.Set.of(),
                    "{" + scope + ",\"iat\":" + now + ",\"exp\":" + exp + "}")))
                    .as("exp " + exp).isEqualTo("bad claim exp: not a NumericDate between 1970 and 9999");
        }
        assertThat(reason(PanelSigner.sign(secret, java.util.Set.of(),
                "{" + scope + ",\"iat\":1e30,\"exp\":" + (now + 300) + "}")))
                .isEqualTo("bad claim iat: not a NumericDate between 1970 and 9999");
        assertThat(reason(PanelSigner.sign(secret, java.util.Set.of(),
                "{" + scope + ",\"iat\":" + now + ",\"nbf\":1e300,\"exp\":" + (now + 300) + "}")))
                .isEqualTo("bad claim nbf: not a NumericDate between 1970 and 9999");
        accepted(PanelSigner.sign(secret, java.util.Set.of(),
                "{" + scope + ",\"iat\":" + now + ".25,\"exp\":" + (now + 300) + ".5}"));
    }

    @Test
    void aRemovedKeysTokensAreRefusedAndTheNewKeysAccepted() throws Exception {
        OctetKeyPair next = PanelSigner.ed25519("ed-2");
        String old = PanelSigner.sign(ed, claims().build());
        String fresh = PanelSigner.sign(next, claims().build());
        signed = verifier(config(ed, next));
        accepted(old);
        accepted(fresh);
        signed = verifier(config(next));
        assertThat(reason(old)).isEqualTo("unknown kid");
        accepted(fresh);
    }

    @Test
    void revocationsByJtiAndBySubjectRefuseMatchingTokensAndSurviveAReload() throws Exception {
        String byJti = PanelSigner.sign(secret, claims().jwtID("jti-1").build());
        String bySubject = PanelSigner.sign(secret, claims().subject("user-42").build());
        String laterSubject = PanelSigner.sign(secret, claims().subject("user-42")
                .issueTime(Date.from(Instant.now().plusSeconds(5))).build());
        accepted(byJti);
        accepted(bySubject);
        revocations.revokeJti("jti-1").join();
        revocations.revokeSubject("user-42", Instant.now().plusSeconds(1)).join();
        assertThat(reason(byJti)).isEqualTo("revoked");
        assertThat(reason(bySubject)).isEqualTo("revoked");
        accepted(laterSubject);

        signed = verifier(config(secret, ed, ec));
        revocations.load();
        assertThat(reason(byJti)).isEqualTo("revoked");
        assertThat(reason(bySubject)).isEqualTo("revoked");
        accepted(laterSubject);
    }

    @Test
    void aOnceTokenIsAcceptedOnceAlsoAcrossAReloadAndALookDoesNotUseIt() throws Exception {
        String once = PanelSigner.sign(ed, claims().jwtID("once-1").claim("once", true).build());
        assertThat(signed.verify(once, false)).isInstanceOf(SignedTokens.Result.Accepted.class);
        accepted(once);
        assertThat(reason(once)).isEqualTo("single-use token already used");
        signed = verifier(config(secret, ed, ec));
        revocations.load();
        assertThat(reason(once)).isEqualTo("single-use token already used");
        assertThat(reason(PanelSigner.sign(ed, claims().claim("once", true).build())))
                .isEqualTo("a single-use token needs a jti");
    }

    @Test
    void aKeyListWithAPrivateKeyOrAShortSecretOrNoAudienceIsRefusedAtStartUp() {
        JsonObject json = ConfigLoader.defaultsJson("lightd_signed-tokens-test-master");
        JsonObject jwt = json.getAsJsonObject("authorization").getAsJsonObject("jwt");
        jwt.add("keys", PanelSigner.nodeKeys(ed));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConfigLoader.parse(json, dir))
                .hasMessageContaining("authorization.jwt.audience");
        jwt.addProperty("audience", AUD);
        com.google.gson.JsonArray withPrivate = new com.google.gson.JsonArray();
        withPrivate.add(com.google.gson.JsonParser.parseString(ed.toJSONString()));
        jwt.add("keys", withPrivate);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConfigLoader.parse(json, dir))
                .hasMessageContaining("authorization.jwt.keys[0]").hasMessageContaining("public key only");
        jwt.add("keys", com.google.gson.JsonParser.parseString("[{\"kty\":\"oct\",\"kid\":\"s\",\"k\":\"c2hvcnQ\"}]"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConfigLoader.parse(json, dir))
                .hasMessageContaining("256 bits");
    }
}
