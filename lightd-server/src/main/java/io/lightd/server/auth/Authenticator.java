package io.lightd.server.auth;

import java.util.Optional;

/**
 * The one place a presented token is checked, whatever its kind: the master token and issued
 * tokens ({@code lightd_...}, in {@link TokenStore}) and panel-signed JWTs ({@link SignedTokens}).
 * Callers decide what the grant may do: REST admits only {@link TokenStore.Kind#MASTER}, the
 * WebSocket handshake checks {@link ConsoleScope#covers}. Thread-safe.
 */
public final class Authenticator {

    /** The outcome: a grant, or why the token was refused (for logs; never contains the token). */
    public sealed interface Result {
        /**
         * The token is good.
         *
         * @param grant what the token grants: its kind, scope and expiry
         */
        record Accepted(TokenStore.Grant grant) implements Result {
        }

        /**
         * The token is missing or refused, for {@code reason}.
         *
         * @param reason why, for the log (e.g. {@code invalid or expired token}); never the token
         */
        record Refused(String reason) implements Result {
        }
    }

    private final TokenStore tokens;
    private final SignedTokens signed;

    /**
     * Creates the authenticator over the daemon's token stores.
     *
     * @param tokens the master and issued tokens
     * @param signed the verifier of panel-signed JWTs
     */
    public Authenticator(TokenStore tokens, SignedTokens signed) {
        this.tokens = tokens;
        this.signed = signed;
    }

    /**
     * Checks {@code token} (null when none was presented). With {@code consume}, a single-use token
     * (issued with {@code remove_on_use}, or signed with {@code once}) is used up by this check.
     * Any thread; never blocks (a use that must be persisted is written later by the store).
     *
     * @param token   the presented token text, or null or empty when none was presented
     * @param consume whether a single-use token is used up (the handshake that opens a session)
     * @return {@link Result.Accepted} with the grant, or {@link Result.Refused} with the reason
     */
    public Result authenticate(String token, boolean consume) {
        if (token == null || token.isEmpty()) {
            return new Result.Refused("no token");
        }
        if (SignedTokens.looksSigned(token)) {
            SignedTokens.Result r = signed.verify(token, consume);
            return r instanceof SignedTokens.Result.Accepted a ? new Result.Accepted(a.grant())
                    : new Result.Refused("signed token: " + ((SignedTokens.Result.Refused) r).reason());
        }
        Optional<TokenStore.Grant> grant = tokens.authenticate(token, consume);
        return grant.<Result>map(Result.Accepted::new).orElseGet(() -> new Result.Refused("invalid or expired token"));
    }
}
