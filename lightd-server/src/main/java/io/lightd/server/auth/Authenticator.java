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
        /** The token is good. */
        record Accepted(TokenStore.Grant grant) implements Result {
        }

        /** The token is missing or refused, for {@code reason}. */
        record Refused(String reason) implements Result {
        }
    }

    private final TokenStore tokens;
    private final SignedTokens signed;

    public Authenticator(TokenStore tokens, SignedTokens signed) {
        this.tokens = tokens;
        this.signed = signed;
    }

    /**
     * Checks {@code token} (null when none was presented). With {@code consume}, a single-use token
     * (issued with {@code remove_on_use}, or signed with {@code once}) is used up by this check.
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
