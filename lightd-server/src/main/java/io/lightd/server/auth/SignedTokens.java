package io.lightd.server.auth;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import com.nimbusds.jose.Algorithm;
import com.nimbusds.jose.Header;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.Ed25519Verifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONArrayUtils;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.ExpiredJWTException;
import io.lightd.server.config.LightdConfig;
import io.lightd.server.credential.Tokens;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checks console tokens signed by a panel: JWTs (RFC 7519) in compact JWS form, verified by
 * nimbus-jose-jwt against the keys of {@code authorization.jwt.keys}, found by the header's
 * {@code kid}. Accepted algorithms follow the key: HS256 for a shared secret, EdDSA for an Ed25519
 * key, ES256 for a P-256 key; {@code alg: none} and any other pairing are refused. Required claims:
 * {@code exp}, {@code iat}, {@code aud} (containing this node's audience), {@code containers} and
 * {@code permissions} (as in {@code POST /auth/tokens}); {@code exp} may be at most the configured
 * maximum lifetime after {@code iat}. Optional: {@code nbf} (RFC 7519 §4.1.5: refused before it),
 * {@code sub}, {@code jti}, and {@code "once": true} (needs a {@code jti}) for a token accepted once.
 * {@code exp} and {@code nbf} are checked by nimbus's own {@link DefaultJWTClaimsVerifier} on this
 * node's clock, with {@code authorization.jwt.clock_skew_seconds} of leeway either way; a token
 * admitted within the leeway after its {@code exp} is granted until {@code exp + skew}, the instant
 * this node stops accepting it, so its session closes (4001) then and not at once. A header with
 * {@code crit} is refused (RFC 7515 §4.1.11: lightd understands no header extension), and so is a
 * time claim outside 1970..9999 (which would otherwise overflow into a date long past). Revoked and
 * used tokens are refused via {@link Revocations}. Each refusal has its own reason, for the log line
 * and the 401 body. Thread-safe and stateless apart from {@link Revocations}.
 */
public final class SignedTokens {

    /** A JWS in compact form: three base64url parts. */
    private static final Pattern COMPACT = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*");
    private static final int MAX_TOKEN_CHARS = 8192;
    /** The last second of 9999-12-31 UTC: the largest NumericDate lightd accepts (RFC 3339's range). */
    static final long MAX_NUMERIC_DATE = 253_402_300_799L;
    /** The time claims checked for range before anything reads them as dates. */
    private static final List<String> TIME_CLAIMS = List.of("exp", "nbf", "iat");

    /** The outcome of one check: a grant, or the reason for the refusal (never the token itself). */
    public sealed interface Result {
        /**
         * The token is good.
         *
         * @param grant a {@link TokenStore.Kind#SIGNED} grant with the token's scope, expiry and claims
         */
        record Accepted(TokenStore.Grant grant) implements Result {
        }

        /**
         * The token is refused, for {@code reason}.
         *
         * @param reason why, for the log (e.g. {@code unknown kid}); never the token
         */
        record Refused(String reason) implements Result {
        }
    }

    private final Map<String, JWSVerifier> verifiers;
    private final Map<String, JWSAlgorithm> algorithms;
    private final String audience;
    private final Duration skew;
    private final Duration maxLifetime;
    private final Revocations revocations;
    private final Clock clock;
    private final DefaultJWTClaimsVerifier<SecurityContext> timeVerifier;

    /**
     * @param config the keys, audience, clock skew and maximum lifetime of {@code authorization.jwt}
     * @param revocations where revoked and used tokens are remembered
     * @param clock this node's clock, for {@code exp}, {@code nbf} and {@code iat}
     * @throws IllegalArgumentException when a key cannot make a verifier (the message names the key)
     */
    public SignedTokens(LightdConfig.Jwt config, Revocations revocations, Clock clock) {
        this.verifiers = new HashMap<>();
        this.algorithms = new HashMap<>();
        for (JWK key : config.keys()) {
            try {
                if (key instanceof OctetSequenceKey secret) {
                    verifiers.put(key.getKeyID(), new MACVerifier(secret));
                    algorithms.put(key.getKeyID(), JWSAlgorithm.HS256);
                } else if (key instanceof OctetKeyPair okp) {
                    verifiers.put(key.getKeyID(), new Ed25519Verifier(okp.toPublicJWK()));
                    algorithms.put(key.getKeyID(), JWSAlgorithm.EdDSA);
                } else if (key instanceof ECKey ec) {
                    verifiers.put(key.getKeyID(), new ECDSAVerifier(ec.toPublicJWK()));
                    algorithms.put(key.getKeyID(), JWSAlgorithm.ES256);
                }
            } catch (JOSEException e) {
                throw new IllegalArgumentException("authorization.jwt.keys: key " + key.getKeyID() + ": "
                        + e.getMessage(), e);
            }
        }
        this.audience = config.audience();
        this.skew = config.clockSkew();
        this.maxLifetime = config.maxLifetime();
        this.revocations = revocations;
        this.clock = clock;
        this.timeVerifier = timeVerifier(clock, config.clockSkewSeconds());
    }

    /**
     * nimbus's claims verifier for {@code exp} and {@code nbf} only (no audience, no required claims:
     * those are checked before, each with its own reason), on {@code clock} instead of the machine's.
     */
    private static DefaultJWTClaimsVerifier<SecurityContext> timeVerifier(Clock clock, int skewSeconds) {
        DefaultJWTClaimsVerifier<SecurityContext> verifier = new DefaultJWTClaimsVerifier<>(null, null, null, null) {
            @Override
            protected Date currentTime() {
                return Date.from(clock.instant());
            }
        };
        verifier.setMaxClockSkew(skewSeconds);
        return verifier;
    }

    /**
     * Whether {@code token} has the shape of a compact JWS (and so is not a {@code lightd_} token).
     * Looks at the text only; verifies nothing.
     *
     * @param token the presented token text, or null
     * @return true for three base64url parts joined by dots (the first non-empty), at most 8192
     *         characters, not starting with {@code lightd_}
     */
    public static boolean looksSigned(String token) {
        return token != null && !token.startsWith(Tokens.PREFIX) && token.length() <= MAX_TOKEN_CHARS
                && COMPACT.matcher(token).matches();
    }

    /**
     * Checks {@code token}; with {@code consume} a single-use token is marked used (only the first
     * such check accepts it), without it a single-use token is only looked at. Any thread; never blocks.
     *
     * @param token   the presented token text
     * @param consume whether a single-use ({@code once}) token is used up by this check
     * @return {@link Result.Accepted} with the grant, or {@link Result.Refused} with the reason (for
     *         logs; never the token)
     */
    public Result verify(String token, boolean consume) {
        if (!looksSigned(token)) {
            return new Result.Refused("not a signed token");
        }
        String[] parts = token.split("\\.", -1);
        Header header;
        try {
            header = Header.parse(new Base64URL(parts[0]));
        } catch (ParseException e) {
            return new Result.Refused("unreadable header");
        }
        if (Algorithm.NONE.equals(header.getAlgorithm())) {
            return new Result.Refused("alg none is not accepted");
        }
        if (!(header instanceof JWSHeader jws)) {
            return new Result.Refused("not a signed (JWS) token");
        }
        String kid = jws.getKeyID();
        JWSVerifier verifier = kid == null ? null : verifiers.get(kid);
        if (verifier == null) {
            return new Result.Refused(kid == null ? "no kid in the header" : "unknown kid");
        }
        if (!algorithms.get(kid).equals(jws.getAlgorithm())) {
            return new Result.Refused("alg " + jws.getAlgorithm() + " does not fit key " + kid);
        }
        if (jws.getCriticalParams() != null && !jws.getCriticalParams().isEmpty()) {
            // The names listed are the sender's; the reason stays a fixed text.
            return new Result.Refused("crit header not supported");
        }
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(token);
            if (!jwt.verify(verifier)) {
                return new Result.Refused("bad signature");
            }
        } catch (ParseException | JOSEException e) {
            return new Result.Refused("bad signature");
        }
        JWTClaimsSet claims;
        try {
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            return new Result.Refused("unreadable claims");
        }
        String outOfRange = timeClaimOutOfRange(jwt.getPayload().toJSONObject());
        if (outOfRange != null) {
            return new Result.Refused("bad claim " + outOfRange + ": not a NumericDate between 1970 and 9999");
        }
        return checkClaims(token, claims, consume);
    }

    /**
     * The first time claim whose raw JSON number lies outside {@code 0..MAX_NUMERIC_DATE}, or null.
     * Read from the payload itself: nimbus turns such a number into a {@code long} of milliseconds
     * that overflows into a date before 1970, which would read as "expired".
     */
    private static String timeClaimOutOfRange(Map<String, Object> payload) {
        if (payload == null) {
            return null;
        }
        for (String name : TIME_CLAIMS) {
            if (payload.get(name) instanceof Number n) {
                double seconds = n.doubleValue();
                if (!(seconds >= 0 && seconds <= MAX_NUMERIC_DATE)) {
                    return name;
                }
            }
        }
        return null;
    }

    private Result checkClaims(String token, JWTClaimsSet claims, boolean consume) {
        Date exp = claims.getExpirationTime();
        Date iat = claims.getIssueTime();
        if (exp == null || iat == null) {
            return new Result.Refused(exp == null ? "missing claim exp" : "missing claim iat");
        }
        List<String> aud = claims.getAudience();
        if (aud == null || aud.isEmpty()) {
            return new Result.Refused("missing claim aud");
        }
        if (!aud.contains(audience)) {
            return new Result.Refused("wrong audience");
        }
        try {
            timeVerifier.verify(claims, null);
        } catch (ExpiredJWTException e) {
            return new Result.Refused("expired");
        } catch (BadJWTException e) {
            // With no audience, required or exact-match claims configured, nbf is all that is left.
            return new Result.Refused("not yet valid (nbf)");
        }
        Instant now = clock.instant();
        Instant expiresAt = exp.toInstant();
        Instant issuedAt = iat.toInstant();
        if (issuedAt.isAfter(now.plus(skew))) {
            return new Result.Refused("issued in the future (iat)");
        }
        if (Duration.between(issuedAt, expiresAt).compareTo(maxLifetime) > 0) {
            return new Result.Refused("lives longer than authorization.jwt.max_lifetime_seconds");
        }
        ConsoleScope scope;
        try {
            Object containers = claims.getClaim("containers");
            Object permissions = claims.getClaim("permissions");
            if (containers == null || permissions == null) {
                return new Result.Refused(containers == null ? "missing claim containers" : "missing claim permissions");
            }
            scope = ConsoleScope.fromJson(json(containers), json(permissions));
        } catch (IllegalArgumentException e) {
            return new Result.Refused("bad claim " + e.getMessage());
        }
        String jti = claims.getJWTID();
        String subject = claims.getSubject();
        if (revocations.isRevoked(jti, subject, issuedAt)) {
            return new Result.Refused("revoked");
        }
        Boolean once;
        try {
            once = claims.getBooleanClaim("once");
        } catch (ParseException e) {
            return new Result.Refused("bad claim once: must be true or false");
        }
        if (Boolean.TRUE.equals(once)) {
            if (jti == null) {
                return new Result.Refused("a single-use token needs a jti");
            }
            if (consume ? !revocations.use(jti, expiresAt) : revocations.isUsed(jti)) {
                return new Result.Refused("single-use token already used");
            }
        }
        // Accepted until exp + skew, so a token let in within the skew is not closed at once (4001).
        return new Result.Accepted(new TokenStore.Grant(Tokens.hash(token), expiresAt.plus(skew),
                TokenStore.Kind.SIGNED, scope, subject, jti, issuedAt));
    }

    /** A claim value as Gson sees it, for {@link ConsoleScope#fromJson}. */
    private static JsonElement json(Object claim) {
        if (claim instanceof List<?> list) {
            return JsonParser.parseString(JSONArrayUtils.toJSONString(list));
        }
        return JsonParser.parseString(JSONObjectUtils.toJSONString(Map.of("v", claim)))
                .getAsJsonObject().get("v");
    }
}
