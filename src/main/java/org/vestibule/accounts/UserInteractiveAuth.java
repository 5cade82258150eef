package org.vestibule.accounts;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.stereotype.Service;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Identifiers;

/**
 * User-interactive authentication (spec client-server §User-Interactive Authentication API) for
 * endpoints that need more than the access token, such as deleting devices: one flow with one
 * stage, {@code m.login.password}, for the access token's own user. A session is bound to that
 * user and to the operation it was started for; once its stage passed, retrying with the session
 * alone succeeds.
 */
@Service
public class UserInteractiveAuth {

    /** The outcome of a request's {@code auth} dict. */
    public sealed interface Outcome permits Passed, Challenge {}

    /** Authenticated: the operation may go ahead. */
    public record Passed() implements Outcome {}

    /** Answer 401 with this body: flows, params, session, and errcode and error after a failed attempt. */
    public record Challenge(Map<String, Object> body) implements Outcome {}

    static final String PASSWORD = "m.login.password";
    /** How long a session may be continued; Synapse keeps them for 48 h, a client needs seconds. */
    static final long SESSION_LIFETIME_MS = 60 * 60 * 1000;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Accounts accounts;
    private final UiaSessions sessions;
    private final AccountService accountService;
    private final Clock clock;

    UserInteractiveAuth(Accounts accounts, UiaSessions sessions, AccountService accountService, Clock clock) {
        this.accounts = accounts;
        this.sessions = sessions;
        this.accountService = accountService;
        this.clock = clock;
    }

    /**
     * Checks the request's {@code auth} dict (empty when the request had none) for {@code operation},
     * a description of exactly what the request does.
     */
    public Outcome authenticate(ClientUser user, String operation, Map<String, Object> auth) {
        if (auth.isEmpty()) {
            return challenge(newSession(user, operation), null, null);
        }
        String sessionId = optionalString(auth, "session");
        if (sessionId != null) {
            UiaSessions.UiaSession session = sessions.find(sessionId, clock.millis() - SESSION_LIFETIME_MS)
                    .filter(s -> s.userId().equals(user.userId()))
                    .orElseThrow(() -> new MatrixException(400, Errcode.UNKNOWN, "Unknown or expired session ID "
                            + sessionId + "; start again without one"));
            if (!session.operation().equals(operation)) {
                throw MatrixException.forbidden("Requested operation has changed during the UI authentication session "
                        + "(it was started for: " + session.operation() + ")");
            }
            if (session.completed()) {
                return new Passed();
            }
        }
        String type = optionalString(auth, "type");
        if (type == null) {
            return challenge(sessionId != null ? sessionId : newSession(user, operation), null, null);
        }
        if (!PASSWORD.equals(type)) {
            return challenge(sessionId != null ? sessionId : newSession(user, operation), Errcode.FORBIDDEN,
                    "Authentication type " + type + " is not offered here; use " + PASSWORD);
        }
        String password = optionalString(auth, "password");
        if (password == null) {
            throw new MatrixException(400, Errcode.MISSING_PARAM, "auth.password is required for " + PASSWORD);
        }
        String named = namedUser(auth);
        if (named != null && !named.equals(user.userId())) {
            return challenge(sessionId != null ? sessionId : newSession(user, operation), Errcode.FORBIDDEN,
                    "The auth identifier names " + named + ", not the access token's user " + user.userId());
        }
        boolean matches = accounts.findById(user.userId())
                .map(a -> !a.deactivated() && PasswordHashing.matches(password, a.passwordHash())).orElse(false);
        if (!matches) {
            return challenge(sessionId != null ? sessionId : newSession(user, operation), Errcode.FORBIDDEN,
                    "Invalid password");
        }
        if (sessionId != null) {
            sessions.complete(sessionId);
        }
        return new Passed();
    }

    /** The user an m.id.user identifier (or the deprecated top-level {@code user}) names, as a user ID. */
    private String namedUser(Map<String, Object> auth) {
        Object identifier = auth.get("identifier");
        String user;
        if (identifier == null) {
            user = optionalString(auth, "user");
        } else if (!(identifier instanceof Map<?, ?> id)) {
            throw MatrixException.badJson("auth.identifier must be an object");
        } else if (!"m.id.user".equals(id.get("type"))) {
            throw new MatrixException(400, Errcode.UNRECOGNIZED, "Identifier type " + id.get("type")
                    + " is not supported here; use m.id.user");
        } else if (!(id.get("user") instanceof String u)) {
            throw new MatrixException(400, Errcode.MISSING_PARAM, "auth.identifier.user is required");
        } else {
            user = u;
        }
        if (user == null) {
            return null;
        }
        return user.startsWith("@") && Identifiers.isUserId(user) ? user
                : accountService.userIdOf(user.toLowerCase(Locale.ROOT));
    }

    private String newSession(ClientUser user, String operation) {
        byte[] b = new byte[18];
        RANDOM.nextBytes(b);
        String id = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
        long now = clock.millis();
        sessions.create(id, user.userId(), operation, now, now - SESSION_LIFETIME_MS);
        return id;
    }

    private static Challenge challenge(String sessionId, String errcode, String error) {
        Map<String, Object> body = new LinkedHashMap<>();
        if (errcode != null) {
            body.put("errcode", errcode);
            body.put("error", error);
        }
        body.put("flows", List.of(Map.of("stages", List.of(PASSWORD))));
        body.put("params", Map.of());
        body.put("session", sessionId);
        return new Challenge(body);
    }

    private static String optionalString(Map<String, Object> map, String key) {
        Object v = map.get(key);
        if (v != null && !(v instanceof String)) {
            throw MatrixException.badJson("auth." + key + " must be a string");
        }
        return (String) v;
    }
}
