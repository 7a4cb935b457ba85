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
 * ({@code "once": true}) tokens already used. Each entry is kept only until the longest-lived token
 * it could match has expired: a used {@code jti} until its token's {@code exp} (plus the skew); a revoked
 * {@code jti} until {@code now + max lifetime}; a subject until {@code issued_before + max
 * lifetime} (a signed token may live at most {@code authorization.jwt.max_lifetime_seconds} from its
 * {@code iat}), each plus the clock skew. Stored in {@code registry/revocations.json} with the
 * registry's atomic writes, so it survives a restart. Thread-safe: any event loop may check.
 */
public final class Revocations {

    /** A revoked subject: tokens with this {@code sub} and an {@code iat} before {@code issuedBefore} are refused. */
    private record SubjectRule(Instant issuedBefore, Instant keepUntil) {
    }

    private final Map<String, Instant> revokedJtis = new ConcurrentHashMap<>();
    private final Map<String, SubjectRule> revokedSubjects = new ConcurrentHashMap<>();
    private final Map<String, Instant> usedJtis = new ConcurrentHashMap<>();
    private final Clock clock;
    private final Duration longestValidity;
    private final Duration clockSkew;
    private final JsonFileStore file;
    private volatile Consumer<Predicate<TokenStore.Grant>> listener = matches -> { };

    /**
     * @param maxLifetime the longest a signed token may live from its {@code iat}
     * @param clockSkew how far {@code iat} and {@code exp} are allowed to be off
     */
    public Revocations(Clock clock, Duration maxLifetime, Duration clockSkew, JsonFileStore.Factory files) {
        this.clock = clock;
        this.longestValidity = maxLifetime.plus(clockSkew).plus(clockSkew);
        this.clockSkew = clockSkew;
        this.file = files.create("revocations.json", this::toJson);
    }

    /**
     * Called, after a revocation is on disk, with the test that tells which grants it refuses, so
     * the live sessions opened with them can be closed (4003).
     */
    public void onRevoked(Consumer<Predicate<TokenStore.Grant>> listener) {
        this.listener = listener;
    }

    /** Loads the stored entries, dropping those no token can match any more. Blocking: for start-up. */
    public void load() throws IOException {
        JsonElement json = file.load();
        if (json == null) {
            return;
        }
        Instant now = clock.instant();
        JsonObject o = json.getAsJsonObject();
        for (JsonElement e : array(o, "jtis")) {
            JsonObject j = e.getAsJsonObject();
            Instant until = Instant.parse(j.get("keep_until").getAsString());
            if (until.isAfter(now)) {
                revokedJtis.put(j.get("jti").getAsString(), until);
            }
        }
        for (JsonElement e : array(o, "subjects")) {
            JsonObject j = e.getAsJsonObject();
            SubjectRule rule = new SubjectRule(Instant.parse(j.get("issued_before").getAsString()),
                    Instant.parse(j.get("keep_until").getAsString()));
            if (rule.keepUntil().isAfter(now)) {
                revokedSubjects.put(j.get("subject").getAsString(), rule);
            }
        }
        for (JsonElement e : array(o, "used")) {
            JsonObject j = e.getAsJsonObject();
            Instant until = Instant.parse(j.get("keep_until").getAsString());
            if (until.isAfter(now)) {
                usedJtis.put(j.get("jti").getAsString(), until);
            }
        }
    }

    private static JsonArray array(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e == null || !e.isJsonArray() ? new JsonArray() : e.getAsJsonArray();
    }

    /** Refuses the token with this {@code jti} from now on; completes once that is on disk. */
    public CompletableFuture<Void> revokeJti(String jti) {
        Instant keepUntil = clock.instant().plus(longestValidity);
        revokedJtis.merge(jti, keepUntil, (a, b) -> a.isAfter(b) ? a : b);
        return file.save().thenRun(() -> listener.accept(g -> jti.equals(g.jti())));
    }

    /**
     * Refuses the tokens of {@code subject} issued ({@code iat}) before {@code issuedBefore}, from now
     * on; completes once that is on disk. A later rule for the same subject replaces an earlier one
     * when it reaches further.
     */
    public CompletableFuture<Void> revokeSubject(String subject, Instant issuedBefore) {
        SubjectRule rule = new SubjectRule(issuedBefore, issuedBefore.plus(longestValidity));
        revokedSubjects.merge(subject, rule, (a, b) -> a.issuedBefore().isAfter(b.issuedBefore()) ? a : b);
        return file.save().thenRun(() -> listener.accept(g -> g.subject() != null && g.issuedAt() != null
                && subject.equals(g.subject()) && g.issuedAt().isBefore(issuedBefore)));
    }

    /** True when a token with these claims (each may be null) has been revoked. */
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

    /** True when the single-use token {@code jti} has been used already. */
    public boolean isUsed(String jti) {
        return usedJtis.containsKey(jti);
    }

    /**
     * Marks the single-use token {@code jti} (which expires at {@code expiresAt}) as used; false when
     * it already was, so of two racing uses only one wins. The mark is written to disk at once.
     */
    public boolean use(String jti, Instant expiresAt) {
        if (usedJtis.putIfAbsent(jti, expiresAt.plus(clockSkew)) != null) {
            return false;
        }
        file.save();
        return true;
    }

    /** Forgets the entries no token can match any more; returns how many. */
    public int purgeExpired() {
        Instant now = clock.instant();
        int before = size();
        revokedJtis.values().removeIf(until -> !until.isAfter(now));
        revokedSubjects.values().removeIf(rule -> !rule.keepUntil().isAfter(now));
        usedJtis.values().removeIf(until -> !until.isAfter(now));
        int purged = before - size();
        if (purged > 0) {
            file.save();
        }
        return purged;
    }

    /** Entries held now: revoked ids, revoked subjects and used single-use ids. */
    public int size() {
        return revokedJtis.size() + revokedSubjects.size() + usedJtis.size();
    }

    private JsonElement toJson() {
        JsonObject o = new JsonObject();
        JsonArray jtis = new JsonArray();
        revokedJtis.forEach((jti, until) -> {
            JsonObject j = new JsonObject();
            j.addProperty("jti", jti);
            j.addProperty("keep_until", until.toString());
            jtis.add(j);
        });
        JsonArray subjects = new JsonArray();
        revokedSubjects.forEach((subject, rule) -> {
            JsonObject j = new JsonObject();
            j.addProperty("subject", subject);
            j.addProperty("issued_before", rule.issuedBefore().toString());
            j.addProperty("keep_until", rule.keepUntil().toString());
            subjects.add(j);
        });
        JsonArray used = new JsonArray();
        usedJtis.forEach((jti, until) -> {
            JsonObject j = new JsonObject();
            j.addProperty("jti", jti);
            j.addProperty("keep_until", until.toString());
            used.add(j);
        });
        o.add("jtis", jtis);
        o.add("subjects", subjects);
        o.add("used", used);
        return o;
    }
}
