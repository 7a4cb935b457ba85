package io.lightd.server.auth;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.Ed25519Signer;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetKeyPairGenerator;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;

/** What a panel does in tests: makes keys, and signs console tokens with them (nimbus-jose-jwt). */
public final class PanelSigner {

    private PanelSigner() {
    }

    public static OctetSequenceKey hs256(String kid) {
        try {
            return new OctetSequenceKeyGenerator(256).keyID(kid).algorithm(JWSAlgorithm.HS256).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    public static OctetKeyPair ed25519(String kid) {
        try {
            return new OctetKeyPairGenerator(Curve.Ed25519).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    public static ECKey es256(String kid) {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The node's side of the keys, as {@code authorization.jwt.keys} holds them (the secret for HS256). */
    public static JsonArray nodeKeys(JWK... keys) {
        JsonArray a = new JsonArray();
        for (JWK k : keys) {
            JWK node = k instanceof OctetSequenceKey ? k : k.toPublicJWK();
            a.add(JsonParser.parseString(node.toJSONString()));
        }
        return a;
    }

    /** Claims a panel puts in a console token: aud, iat now, exp after {@code ttl}, containers, permissions. */
    public static JWTClaimsSet.Builder claims(String audience, List<String> containers, List<String> permissions,
                                              Duration ttl) {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder()
                .audience(audience)
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(ttl)))
                .claim("containers", containers)
                .claim("permissions", permissions);
    }

    /** Signs with the algorithm the key is for (HS256, EdDSA, ES256), its kid in the header. */
    public static String sign(JWK key, JWTClaimsSet claims) {
        return sign(key, key.getKeyID(), claims);
    }

    /** Signs with {@code key} but names {@code kid} in the header. */
    public static String sign(JWK key, String kid, JWTClaimsSet claims) {
        return sign(key, kid, Set.of(), new Payload(claims.toJSONObject()));
    }

    /**
     * Signs {@code payload} as it is (any JSON, also numbers no {@link JWTClaimsSet} can hold) with
     * {@code key}, its kid in the header, listing {@code critical} in the header's {@code crit}
     * (none when empty).
     */
    public static String sign(JWK key, Set<String> critical, String payload) {
        return sign(key, key.getKeyID(), critical, new Payload(payload));
    }

    private static String sign(JWK key, String kid, Set<String> critical, Payload payload) {
        try {
            JWSSigner signer;
            JWSAlgorithm alg;
            if (key instanceof OctetSequenceKey k) {
                signer = new MACSigner(k);
                alg = JWSAlgorithm.HS256;
            } else if (key instanceof OctetKeyPair k) {
                signer = new Ed25519Signer(k);
                alg = JWSAlgorithm.EdDSA;
            } else {
                signer = new ECDSASigner((ECKey) key);
                alg = JWSAlgorithm.ES256;
            }
            JWSHeader.Builder header = new JWSHeader.Builder(alg).keyID(kid);
            if (!critical.isEmpty()) {
                header.criticalParams(critical);
                for (String name : critical) {
                    header.customParam(name, true);
                }
            }
            JWSObject jws = new JWSObject(header.build(), payload);
            jws.sign(signer);
            return jws.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The same claims unsigned, {@code alg: none}: what an attacker tries. */
    public static String unsigned(JWTClaimsSet claims) {
        return new PlainJWT(claims).serialize();
    }
}
