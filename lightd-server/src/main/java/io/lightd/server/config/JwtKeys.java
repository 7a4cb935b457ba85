package io.lightd.server.config;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads {@code authorization.jwt.keys}: a list of JSON Web Keys (RFC 7517), each with a
 * {@code kid}, of one of three kinds: a shared secret for HS256 ({@code "kty": "oct"}, {@code k}
 * base64url, at least 256 bits), an Ed25519 public key ({@code "kty": "OKP", "crv": "Ed25519"},
 * {@code x}) or a P-256 public key for ES256 ({@code "kty": "EC", "crv": "P-256"}, {@code x},
 * {@code y}). A private key is refused (the node needs only the public half). Parsed by
 * nimbus-jose-jwt; every error names the key and its position.
 */
final class JwtKeys {

    static final String KEY = ConfigKeys.AUTHORIZATION_JWT_KEYS.name();
    private static final int MIN_SECRET_BYTES = 32;

    private JwtKeys() {
    }

    static List<JWK> parse(JsonElement element) throws ConfigException {
        if (element == null || element.isJsonNull()) {
            return List.of();
        }
        if (!element.isJsonArray()) {
            throw new ConfigException("invalid " + KEY + ": must be a list of JSON Web Keys");
        }
        JsonArray array = element.getAsJsonArray();
        List<JWK> keys = new ArrayList<>();
        Set<String> kids = new HashSet<>();
        for (int i = 0; i < array.size(); i++) {
            String where = "invalid " + KEY + "[" + i + "]: ";
            JsonElement e = array.get(i);
            if (!e.isJsonObject()) {
                throw new ConfigException(where + "must be a JSON Web Key object");
            }
            JWK jwk;
            try {
                jwk = JWK.parse(e.toString());
            } catch (ParseException ex) {
                throw new ConfigException(where + "not a JSON Web Key: " + ex.getMessage());
            }
            if (jwk.getKeyID() == null || jwk.getKeyID().isBlank()) {
                throw new ConfigException(where + "needs a kid");
            }
            if (!kids.add(jwk.getKeyID())) {
                throw new ConfigException(where + "kid \"" + jwk.getKeyID() + "\" is used twice");
            }
            check(jwk, where);
            keys.add(jwk);
        }
        return List.copyOf(keys);
    }

    private static void check(JWK jwk, String where) throws ConfigException {
        if (jwk instanceof OctetSequenceKey secret) {
            if (secret.toByteArray().length < MIN_SECRET_BYTES) {
                throw new ConfigException(where + "an HS256 secret needs at least 256 bits");
            }
            requireAlg(jwk, JWSAlgorithm.HS256, where);
        } else if (jwk instanceof OctetKeyPair okp) {
            if (!Curve.Ed25519.equals(okp.getCurve())) {
                throw new ConfigException(where + "an OKP key must be on Ed25519");
            }
            if (okp.isPrivate()) {
                throw new ConfigException(where + "give the public key only (no \"d\")");
            }
            requireAlg(jwk, JWSAlgorithm.EdDSA, where);
        } else if (jwk instanceof ECKey ec) {
            if (!Curve.P_256.equals(ec.getCurve())) {
                throw new ConfigException(where + "an EC key must be on P-256 (ES256)");
            }
            if (ec.isPrivate()) {
                throw new ConfigException(where + "give the public key only (no \"d\")");
            }
            requireAlg(jwk, JWSAlgorithm.ES256, where);
        } else {
            throw new ConfigException(where + "kty must be oct (HS256), OKP (Ed25519) or EC (ES256)");
        }
    }

    private static void requireAlg(JWK jwk, JWSAlgorithm expected, String where) throws ConfigException {
        if (jwk.getAlgorithm() != null && !expected.getName().equals(jwk.getAlgorithm().getName())) {
            throw new ConfigException(where + "alg must be " + expected.getName() + " for this key type");
        }
    }
}
