package io.lightd.server.credential;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Token text: generation, hashing, the master token's rules and the {@code ttl} syntax. Thread-safe. */
public final class Tokens {

    /** How every token lightd makes begins (a signed console token, a JWT, never does). */
    public static final String PREFIX = "lightd_";
    /** The fewest characters a master token ({@code authorization.token}) may have, prefix included. */
    public static final int MIN_MASTER_LENGTH = 20;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern TTL = Pattern.compile("([1-9][0-9]{0,8})([smhd])");
    private static final Duration MAX_TTL = Duration.ofDays(365);

    private Tokens() {
    }

    /** A fresh random token: {@code lightd_} and 43 characters of base64url (256 bits). */
    public static String generate() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** SHA-256 of the token, hex: what is stored and compared, never the token itself. */
    public static String hash(String token) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Constant-time comparison of two hashes. */
    public static boolean sameHash(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.US_ASCII), b.getBytes(StandardCharsets.US_ASCII));
    }

    /** Null when {@code token} may be a master token, else what is wrong with it. */
    public static String masterTokenProblem(String token) {
        if (!token.startsWith(PREFIX)) {
            return "must start with " + PREFIX;
        }
        if (token.length() < MIN_MASTER_LENGTH) {
            return "must be at least " + MIN_MASTER_LENGTH + " characters";
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                return "must be printable ASCII without spaces";
            }
        }
        return null;
    }

    /** Parses {@code Ns}, {@code Nm}, {@code Nh} or {@code Nd}; throws with a user-facing text otherwise. */
    public static Duration parseTtl(String ttl) {
        Matcher m = TTL.matcher(ttl);
        if (!m.matches()) {
            throw new IllegalArgumentException("ttl must look like 30s, 15m, 12h or 7d");
        }
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
        if (d.compareTo(MAX_TTL) > 0) {
            throw new IllegalArgumentException("ttl must be at most 365d");
        }
        return d;
    }
}
