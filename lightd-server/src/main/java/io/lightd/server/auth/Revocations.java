package io.lightd.server.auth;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.lightd.server.store.JsonFileStore;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * What lightd remembers of signed tokens, without a registry of every token: revoked {@code jti}s,
 * subjects revoked for tokens issued before an instant, and the {@code jti}s of single-use
 * ({@code "once": true}) tokens already used. Each entry stores only its own facts (when a
 * {@code jti} was revoked, a subject's {@code issued_before}, a used token's {@code exp}); how long
 * it is kept is worked out from them and the configuration of the day, at load and at every purge,
 * so raising {@code authorization.jwt.max_lifetime_seconds} or {@code clock_skew_seconds} later
 * keeps older entries longer too. An entry is kept until no token it matches can be accepted:
 * <ul>
 * <li>a revoked {@code jti}: its token existed when it was revoked, so its {@code iat} is at most the
 *     skew after that, its {@code exp} at most the maximum lifetime after its {@code iat}, and it is
 *     accepted until {@code exp} plus the skew: revoked at + max lifetime + 2 × skew;</li>
 * <li>a revoked subject: its tokens have {@code iat < issued_before}: issued_before + max lifetime +
 *     skew;</li>
 * <li>a used single-use {@code jti}: its token's {@code exp} + skew.</li>
 * </ul>
 * Stored in {@code registry/revocations.json} with the registry's atomic writes, so it survives a
 * restart. Thread-safe: any event loop may check.
 */
public final class Revocations {

    /** A revoked subject: tokens with this {@code sub} and an {@code iat} before {@code issuedBefore} are refused. */
    private record SubjectRule(Instant issuedBefore) {
    }

    /** Revoked ids and the instant each was revoked. */
    private final Map<String, Instant> revokedJtis = new ConcurrentHashMap<>();
    private final Map<String, SubjectRule> revokedSubjects = new ConcurrentHashMap<>();
    /** Used single-use ids and the {@code exp} of each one's token. */
    private final Map<String, Instant> usedJtis = new ConcurrentHashMap<>();
    private final Clock clock;
    private final Duration maxLifetime;
    private final Duration clockSkew;
    private final JsonFileStore file;
    private volatile Consumer<Predicate<TokenStore.Grant>> listener = matches -> { };

    /**
     * Creates the revocation list; call {@link #load()} before use to read the stored entries back.
     *
     * @param clock this node's clock: revocation instants and purges
     * @param maxLifetime the longest a signed token may live from its {@code iat}, as configured now
     * @param clockSkew how far {@code iat}, {@code nbf} and {@code exp} are allowed to be off, as configured now
     * @param files where {@code revocations.json} is kept
     */
    public Revocations(Clock clock, Duration maxLifetime, Duration clockSkew, JsonFileStore.Factory files) {
        this.clock = clock;
        this.maxLifetime = maxLifetime;
        this.clockSkew = clockSkew;
        this.file = files.create("revocations.json", this::toJson);
    }

    /** Until when a revoked {@code jti} is kept: see the class comment. */
    private Instant keepJti(Instant revokedAt) {
        return revokedAt.plus(maxLifetime).plus(clockSkew).plus(clockSkew);
    }

    /** Until when a subject rule is kept: see the class comment. */
    private Instant keepSubject(SubjectRule rule) {
        return rule.issuedBefore().plus(maxLifetime).plus(clockSkew);
    }

    /** Until when a used single-use {@code jti} is kept: see the class comment. */
    private Instant keepUsed(Instant expiresAt) {
        return expiresAt.plus(clockSkew);
    }

    /**
     * Called, after a revocation is on disk, with the test that tells which grants it refuses, so
     * the live sessions opened with them can be closed (4003).
     *
     * @param listener the one listener (replacing any earlier one); called on the thread that
     *                 completes the write (normally the storage thread) with a test that is true for
     *                 each grant the new revocation refuses; must not block
     */
    public void onRevoked(Consumer<Predicate<TokenStore.Grant>> listener) {
        this.listener = listener;
    }

    /**
     * Loads the stored entries, dropping those no token can match any more under the current
     * configuration. Entries written before the facts were stored carry only {@code keep_until};
     * that instant stands in for the fact (a later one, so such an entry is kept longer, never
     * shorter). Blocking: for start-up.
     *
     * @throws IOException when the revocations file cannot be read or is not valid JSON (an absent
     *                     file is no error: nothing revoked)
     */
    public void load() throws IOException {
        JsonElement json = file.load();
        if (json == null) {
            return;
        }
        Instant now = clock.instant();
        JsonObject o = json.getAsJsonObject();
        for (JsonElement e : array(o, "jtis")) {
            JsonObject j = e.getAsJsonObject();
            Instant revokedAt = instant(j, "revoked_at");
            if (keepJti(revokedAt).isAfter(now)) {
                revokedJtis.put(j.get("jti").getAsString(), revokedAt);
            }
        }
        for (JsonElement e : array(o, "subjects")) {
            JsonObject j = e.getAsJsonObject();
            SubjectRule rule = new SubjectRule(Instant.parse(j.get("issued_before").getAsString()));
            if (keepSubject(rule).isAfter(now)) {
                revokedSubjects.put(j.get("subject").getAsString(), rule);
            }
        }
        for (JsonElement e : array(o, "used")) {
            JsonObject j = e.getAsJsonObject();
            Instant expiresAt = instant(j, "exp");
            if (keepUsed(expiresAt).isAfter(now)) {
                usedJtis.put(j.get("jti").getAsString(), expiresAt);
            }
        }
    }

    /** The instant {@code key} of an entry, or its {@code keep_until} for an entry stored before {@code key} was. */
    private static Instant instant(JsonObject entry, String key) {
        JsonElement e = entry.has(key) ? entry.get(key) : entry.get("keep_until");
        return Instant.parse(e.getAsString());
    }

    private static JsonArray array(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e == null || !e.isJsonArray() ? new JsonArray() : e.getAsJsonArray();
    }

    /**
     * Refuses the token with this {@code jti} from now on (in memory at once). Any thread.
     *
     * @param jti the {@code jti} claim to refuse
     * @return completes once the revocation is on disk and the listener has heard it; fails with
     *         {@link io.lightd.server.store.StorageException} when it cannot be stored
     */
    public CompletableFuture<Void> revokeJti(String jti) {
        revokedJtis.merge(jti, clock.instant(), (a, b) -> a.isAfter(b) ? a : b);
        return file.save().thenRun(() -> listener.accept(g -> jti.equals(g.jti())));
    }

    /**
     * The latest {@code issued_before} a subject revocation may name now: this node's time plus the
     * clock skew (a panel's clock may be that far ahead). A later instant would ban tokens not issued
     * yet, and would be kept for as long as it reaches into the future.
     *
     * @return the current time of this node's clock plus {@code authorization.jwt.clock_skew_seconds}
     */
    public Instant latestIssuedBefore() {
        return clock.instant().plus(clockSkew);
    }

    /**
     * Refuses the tokens of {@code subject} issued ({@code iat}) before {@code issuedBefore}, from now
     * on; completes once that is on disk. A later rule for the same subject replaces an earlier one
     * when it reaches further.
     *
     * @param subject      the {@code sub} claim whose tokens are refused
     * @param issuedBefore   tokens with an {@code iat} before this instant are refused (a token without
     *                       {@code iat} is refused whatever the instant)
     * @return completes once the rule is on disk and the listener has heard it; fails with
     *         {@link io.lightd.server.store.StorageException} when it cannot be stored
     * @throws IllegalArgumentException when {@code issuedBefore} is after {@link #latestIssuedBefore()}
     */
    public CompletableFuture<Void> revokeSubject(String subject, Instant issuedBefore) {
        if (issuedBefore.isAfter(latestIssuedBefore())) {
            throw new IllegalArgumentException("issued_before is further in the future than the clock skew");
        }
        SubjectRule rule = new SubjectRule(issuedBefore);
        revokedSubjects.merge(subject, rule, (a, b) -> a.issuedBefore().isAfter(b.issuedBefore()) ? a : b);
        return file.save().thenRun(() -> listener.accept(g -> g.subject() != null && g.issuedAt() != null
                && subject.equals(g.subject()) && g.issuedAt().isBefore(issuedBefore)));
    }

    /**
     * Whether a token with these claims has been revoked, by its {@code jti} or by a rule for its
     * subject. Any thread; never blocks.
     *
     * @param jti      the token's {@code jti}, or null
     * @param subject  the token's {@code sub}, or null
     * @param issuedAt the token's {@code iat}, or null
     * @return true when it must be refused
     */
    public boolean isRevoked(String jti, String subject, Instant issuedAt) {
        if (jti != null && revokedJtis.containsKey(jti)) {
            return true;
        }
        if (subject == null) {
            return false;
        }
        SubjectRule rule = revokedSubjects.get(subject);
        return rule != null && (issuedAt == null || issuedAt.isBefore(rule.issuedBefore()));
    }

    /**
     * Whether the single-use token {@code jti} has been used already.
     *
     * @param jti the token's {@code jti}
     * @return true when it was marked by {@link #use}
     */
    public boolean isUsed(String jti) {
        return usedJtis.containsKey(jti);
    }

    /**
     * Marks the single-use token {@code jti}, whose {@code exp} claim is {@code expiresAt}, as used;
     * false when it already was, so of two racing uses only one wins. The mark is written to disk at once.
     * Any thread; the write is started, not awaited.
     *
     * @param jti       the token's {@code jti}
     * @param expiresAt the token's {@code exp}: the mark is kept until then plus the clock skew
     * @return true for the one use that marked it, false when it was marked already
     */
    public boolean use(String jti, Instant expiresAt) {
        if (usedJtis.putIfAbsent(jti, expiresAt) != null) {
            return false;
        }
        file.save();
        return true;
    }

    /**
     * Forgets the entries no token can match any more (under the current configuration), saving in
     * the background when any went. Any thread.
     *
     * @return how many entries were forgotten
     */
    public int purgeExpired() {
        Instant now = clock.instant();
        int before = size();
        revokedJtis.values().removeIf(revokedAt -> !keepJti(revokedAt).isAfter(now));
        revokedSubjects.values().removeIf(rule -> !keepSubject(rule).isAfter(now));
        usedJtis.values().removeIf(expiresAt -> !keepUsed(expiresAt).isAfter(now));
        int purged = before - size();
        if (purged > 0) {
            file.save();
        }
        return purged;
    }

    /**
     * Entries held now: revoked ids, revoked subjects and used single-use ids.
     *
     * @return the sum of the three counts
     */
    public int size() {
        return revokedJtis.size() + revokedSubjects.size() + usedJtis.size();
    }

    private JsonElement toJson() {
        JsonObject o = new JsonObject();
        JsonArray jtis = new JsonArray();
        revokedJtis.forEach((jti, revokedAt) -> {
            JsonObject j = new JsonObject();
            j.addProperty("jti", jti);
            j.addProperty("revoked_at", revokedAt.toString());
            jtis.add(j);
        });
        JsonArray subjects = new JsonArray();
        revokedSubjects.forEach((subject, rule) -> {
            JsonObject j = new JsonObject();
            j.addProperty("subject", subject);
            j.addProperty("issued_before", rule.issuedBefore().toString());
            subjects.add(j);
        });
        JsonArray used = new JsonArray();
        usedJtis.forEach((jti, expiresAt) -> {
            JsonObject j = new JsonObject();
            j.addProperty("jti", jti);
            j.addProperty("exp", expiresAt.toString());
            used.add(j);
        });
        o.add("jtis", jtis);
        o.add("subjects", subjects);
        o.add("used", used);
        return o;
    }
}
