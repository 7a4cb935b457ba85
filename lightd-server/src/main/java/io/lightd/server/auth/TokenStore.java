package io.lightd.server.auth;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.lightd.server.credential.Tokens;
import io.lightd.server.store.JsonFileStore;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * The master token and the issued tokens. Only SHA-256 hashes are kept and stored; presented tokens
 * are hashed and compared in constant time. Thread-safe: any event loop may authenticate.
 */
public final class TokenStore {

    /**
     * An issued token as stored: its hash, when it expires, whether its first use consumes it, and
     * what it opens.
     *
     * @param hash        SHA-256 of the token, hex ({@link Tokens#hash})
     * @param expiresAt   when it stops working (the issue time plus its {@code ttl}, in milliseconds)
     * @param removeOnUse whether its first use consumes it
     * @param scope       the containers and permissions it opens
     */
    public record IssuedToken(String hash, Instant expiresAt, boolean removeOnUse, ConsoleScope scope) {
    }

    /** Where a grant's token came from. */
    public enum Kind {
        /** {@code authorization.token}: the only admin credential. */
        MASTER,
        /** Issued by {@code POST /auth/tokens}: a console token. */
        ISSUED,
        /** A JWT signed by a panel's key ({@code authorization.jwt.keys}): a console token. */
        SIGNED
    }

    /**
     * What a successful authentication grants: the SHA-256 hash of the presented token (the key its
     * live sessions are found by), its expiry: the instant this node stops accepting it, where its
     * sessions close with 4001 (null for the master token; for a signed token its {@code exp} plus
     * the clock skew, so one let in within the skew is not closed at once), where it came from, what
     * it opens, and for a signed token its {@code sub}, {@code jti} and {@code iat} claims (each may be
     * null; all null for the other kinds), which revocations match against.
     *
     * @param hash      SHA-256 of the presented token, hex
     * @param expiresAt when this node stops accepting it, or null for the master token
     * @param kind      where the token came from
     * @param scope     the containers and permissions it opens
     * @param subject   a signed token's {@code sub}, else null
     * @param jti       a signed token's {@code jti}, else null
     * @param issuedAt  a signed token's {@code iat}, else null
     */
    public record Grant(String hash, Instant expiresAt, Kind kind, ConsoleScope scope, String subject, String jti,
                       Instant issuedAt) {

        /**
         * A master grant (null expiry) or an issued one with every container and permission.
         *
         * @param hash      SHA-256 of the presented token, hex
         * @param expiresAt null for a master grant, else the issued token's expiry
         */
        public Grant(String hash, Instant expiresAt) {
            this(hash, expiresAt, expiresAt == null ? Kind.MASTER : Kind.ISSUED, ConsoleScope.ALL, null, null, null);
        }

        /**
         * Whether this is the master token's grant, the only one REST admits.
         *
         * @return true for {@link Kind#MASTER}
         */
        public boolean isMaster() {
            return kind == Kind.MASTER;
        }
    }

    /**
     * A newly issued token, the only time its text exists in the daemon, with what it opens.
     *
     * @param token     the token text ({@code lightd_...}), to hand out once and never log
     * @param expiresAt when it stops working, truncated to milliseconds
     * @param scope     the containers and permissions it opens
     */
    public record Issued(String token, Instant expiresAt, ConsoleScope scope) {
    }

    private final Map<String, IssuedToken> issued = new ConcurrentHashMap<>();
    private final Clock clock;
    private final JsonFileStore file;
    private volatile String masterHash;
    /** The master token's grant, one for every session opened with it (a grant is immutable). */
    private volatile Grant masterGrant;
    private volatile Consumer<String> revocationListener = hash -> { };

    /**
     * Creates the store; call {@link #load()} before use to read the issued tokens back.
     *
     * @param masterToken the configured {@code authorization.token}; only its hash is kept
     * @param clock       the clock expiries are measured and set with
     * @param files       the registry folder's stores; the issued tokens live in {@code tokens.json}
     */
    public TokenStore(String masterToken, Clock clock, JsonFileStore.Factory files) {
        this.masterHash = Tokens.hash(masterToken);
        this.masterGrant = masterGrant(masterHash);
        this.clock = clock;
        this.file = files.create("tokens.json", this::toJson);
    }

    /**
     * Sets the one listener of revocations (replacing any earlier one).
     *
     * @param listener called with the hash of every revoked token, after the revocation is on disk
     *                 (on the thread that completes the write, normally the storage thread), and with
     *                 the old master hash when it is replaced (on the thread that replaces it); must
     *                 not block
     */
    public void onRevoked(Consumer<String> listener) {
        this.revocationListener = listener;
    }

    /**
     * Makes {@code token} the master token: the old one stops working at once, and the listener of
     * {@link #onRevoked} hears its hash, so sessions opened with it close. Any thread.
     *
     * @param token the new master token text (already checked by {@link Tokens#masterTokenProblem})
     * @return false when it already is the master token, else true
     */
    public boolean replaceMaster(String token) {
        String old = masterHash;
        String fresh = Tokens.hash(token);
        if (Tokens.sameHash(old, fresh)) {
            return false;
        }
        masterGrant = masterGrant(fresh);
        masterHash = fresh;
        revocationListener.accept(old);
        return true;
    }

    /**
     * Loads the stored tokens, dropping expired ones. Blocking: for start-up.
     *
     * @throws IOException when {@code tokens.json} cannot be read or is not valid JSON (an absent file
     *                     is no error: no issued tokens)
     */
    public void load() throws IOException {
        JsonElement json = file.load();
        if (json == null) {
            return;
        }
        Instant now = clock.instant();
        for (JsonElement e : json.getAsJsonArray()) {
            JsonObject o = e.getAsJsonObject();
            // Tokens stored before scopes existed have neither field: every container, every permission.
            IssuedToken t = new IssuedToken(o.get("hash").getAsString(), Instant.parse(o.get("expires_at").getAsString()),
                    o.get("remove_on_use").getAsBoolean(), ConsoleScope.fromJson(o.get("containers"), o.get("permissions")));
            if (t.expiresAt().isAfter(now)) {
                issued.put(t.hash(), t);
            }
        }
    }

    /**
     * Checks a presented token. A single-use token is consumed here, so a second use fails even if it
     * races the first. Returns empty for a missing, unknown, expired or used token.
     *
     * @param token the presented token text, or null
     * @return the grant, or empty
     */
    public Optional<Grant> authenticate(String token) {
        return authenticate(token, true);
    }

    /**
     * Checks a presented token; with {@code consume} false a single-use token is only looked at (for
     * a refusal that must not burn it, or the console page asking what a token may do).
     * Tokens longer than 512 characters are refused unhashed. Any thread; a consumed token's removal
     * is saved in the background.
     *
     * @param token   the presented token text, or null
     * @param consume whether a single-use token is used up by this check
     * @return the grant, or empty for a missing, unknown, expired or used token
     */
    public Optional<Grant> authenticate(String token, boolean consume) {
        if (token == null || token.isEmpty() || token.length() > 512) {
            return Optional.empty();
        }
        String hash = Tokens.hash(token);
        Grant master = masterGrant;
        if (Tokens.sameHash(hash, master.hash())) {
            return Optional.of(master);
        }
        IssuedToken t = issued.get(hash);
        if (t == null || !Tokens.sameHash(hash, t.hash())) {
            return Optional.empty();
        }
        if (!t.expiresAt().isAfter(clock.instant())) {
            return Optional.empty();
        }
        if (t.removeOnUse() && consume) {
            if (!issued.remove(hash, t)) {
                return Optional.empty();
            }
            file.save();
        }
        // The stored hash, not the equal one just computed: a session keeps its grant for its life.
        return Optional.of(new Grant(t.hash(), t.expiresAt(), Kind.ISSUED, t.scope(), null, null, null));
    }

    private static Grant masterGrant(String hash) {
        return new Grant(hash, null, Kind.MASTER, ConsoleScope.ALL, null, null, null);
    }

    /**
     * Issues a token; the future completes once it is on disk. A token that cannot be stored is taken
     * back before the future fails, so it never works without having been handed out. The token
     * opens every container with every permission.
     *
     * @param ttl         how long it works from now
     * @param removeOnUse whether its first use consumes it
     * @return the new token; fails with {@link io.lightd.server.store.StorageException} when it cannot
     *         be stored
     */
    public CompletableFuture<Issued> issue(Duration ttl, boolean removeOnUse) {
        return issue(ttl, removeOnUse, ConsoleScope.ALL);
    }

    /**
     * Issues a console token that opens what {@code scope} names; as {@link #issue(Duration, boolean)}.
     *
     * @param ttl         how long it works from now
     * @param removeOnUse whether its first use consumes it
     * @param scope       the containers and permissions it opens
     * @return the new token; fails with {@link io.lightd.server.store.StorageException} when it cannot
     *         be stored
     */
    public CompletableFuture<Issued> issue(Duration ttl, boolean removeOnUse, ConsoleScope scope) {
        String token = Tokens.generate();
        Instant expiresAt = clock.instant().plus(ttl).truncatedTo(ChronoUnit.MILLIS);
        IssuedToken t = new IssuedToken(Tokens.hash(token), expiresAt, removeOnUse, scope);
        issued.put(t.hash(), t);
        return file.save().handle((ignored, err) -> {
            if (err != null) {
                issued.remove(t.hash(), t);
                throw asCompletion(err);
            }
            return new Issued(token, expiresAt, scope);
        });
    }

    /**
     * Revokes an issued token; completes with false when no such token exists. When the revocation
     * cannot be stored the token is put back, as the failed answer says it still stands.
     *
     * @param token the issued token's text (the master token cannot be revoked here)
     * @return true once the revocation is on disk and the listener has heard it; false when no such
     *         token exists; fails with {@link io.lightd.server.store.StorageException} when it cannot
     *         be stored
     */
    public CompletableFuture<Boolean> revoke(String token) {
        String hash = Tokens.hash(token);
        IssuedToken removed = issued.remove(hash);
        if (removed == null) {
            return CompletableFuture.completedFuture(false);
        }
        return file.save().handle((ignored, err) -> {
            if (err != null) {
                issued.putIfAbsent(hash, removed);
                throw asCompletion(err);
            }
            revocationListener.accept(hash);
            return true;
        });
    }

    private static CompletionException asCompletion(Throwable err) {
        return err instanceof CompletionException c ? c : new CompletionException(err);
    }

    /**
     * Removes expired tokens from memory and disk (saved in the background). Any thread.
     *
     * @return how many were removed
     */
    public int purgeExpired() {
        Instant now = clock.instant();
        int before = issued.size();
        issued.values().removeIf(t -> !t.expiresAt().isAfter(now));
        int purged = before - issued.size();
        if (purged > 0) {
            file.save();
        }
        return purged;
    }

    /**
     * The issued tokens held now, expired ones not yet purged included.
     *
     * @return the count
     */
    public int issuedCount() {
        return issued.size();
    }

    private JsonElement toJson() {
        JsonArray array = new JsonArray();
        for (IssuedToken t : issued.values()) {
            JsonObject o = new JsonObject();
            o.addProperty("hash", t.hash());
            o.addProperty("expires_at", t.expiresAt().toString());
            o.addProperty("remove_on_use", t.removeOnUse());
            if (!t.scope().isUnrestricted()) {
                if (t.scope().containers() != null) {
                    o.add("containers", t.scope().containersJson());
                }
                o.add("permissions", t.scope().permissionsJson());
            }
            array.add(o);
        }
        return array;
    }
}
