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

    /** How every lightd token (master and issued) begins; a token without it is taken for a signed JWT. */
    public static final String PREFIX = "lightd_";
    /** The shortest master token accepted, in characters, prefix included. */
    public static final int MIN_MASTER_LENGTH = 20;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern TTL = Pattern.compile("([1-9][0-9]{0,8})([smhd])");
    private static final Duration MAX_TTL = Duration.ofDays(365);

    private Tokens() {
    }

    /**
     * A fresh random token from a {@link SecureRandom}.
     *
     * @return {@code lightd_} and 43 characters of base64url without padding (256 bits)
     */
    public static String generate() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /**
     * SHA-256 of the token: what is stored and compared, never the token itself.
     *
     * @param token the token text as presented; hashed as UTF-8
     * @return 64 lower-case hex digits
     */
    public static String hash(String token) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * Constant-time comparison of two hashes ({@link MessageDigest#isEqual}).
     *
     * @param a a hash from {@link #hash}
     * @param b another hash from {@link #hash}
     * @return whether they are equal; the time taken does not depend on where they differ
     */
    public static boolean sameHash(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.US_ASCII), b.getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Checks the master token's rules: the {@link #PREFIX}, at least {@link #MIN_MASTER_LENGTH}
     * characters, printable ASCII without spaces.
     *
     * @param token the configured master token; not null
     * @return null when it may be a master token, else what is wrong, e.g. {@code must start with lightd_}
     *         (the caller adds the key's name; the token itself is never in the text)
     */
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

    /**
     * Parses the {@code ttl} of a token request: {@code Ns}, {@code Nm}, {@code Nh} or {@code Nd}.
     *
     * @param ttl the text, e.g. {@code 15m}; N is a positive integer of at most 9 digits
     * @return the duration, at most 365 days
     * @throws IllegalArgumentException with the user-facing text ({@code ttl must ...}) when the
     *                                  syntax is wrong or the duration is over 365 days
     */
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
