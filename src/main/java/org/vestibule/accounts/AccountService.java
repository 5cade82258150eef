package org.vestibule.accounts;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.data.domain.Limit;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Identifiers;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.ratelimit.RateLimits;

/** Local accounts, devices and access tokens. */
@Service
public class AccountService {

    /** A new session: what register and login answer. */
    public record Session(String userId, String accessToken, String deviceId) {}

    private static final SecureRandom RANDOM = new SecureRandom();
    /** As Synapse's LAST_SEEN_GRANULARITY: one write per device per two minutes at most. */
    static final long LAST_SEEN_GRANULARITY_MS = 120_000;

    private final Accounts accounts;
    private final Sessions sessions;
    private final ServerKeyring keyring;
    private final ClientProperties properties;
    private final Clock clock;
    private final RateLimits limits;
    private final TransactionTemplate tx;

    AccountService(Accounts accounts, Sessions sessions, ServerKeyring keyring, ClientProperties properties, Clock clock,
                   RateLimits limits, TransactionTemplate tx) {
        this.limits = limits;
        this.accounts = accounts;
        this.sessions = sessions;
        this.keyring = keyring;
        this.properties = properties;
        this.clock = clock;
        this.tx = tx;
    }

    public String userIdOf(String localpart) {
        return "@" + localpart + ":" + keyring.serverName();
    }

    /** Whether a localpart is free and valid, or the reason it is not. */
    public void checkAvailable(String localpart) {
        if (!Identifiers.isNewLocalpart(localpart)) {
            throw new MatrixException(400, Errcode.INVALID_USERNAME, "User IDs may only contain the characters a-z, 0-9, "
                    + "'.', '_', '=', '-', '/' and '+'; '" + localpart + "' does not qualify");
        }
        if (!Identifiers.isUserId(userIdOf(localpart))) {
            throw new MatrixException(400, Errcode.INVALID_USERNAME, "The user ID would be longer than 255 bytes");
        }
        if (accounts.existsById(userIdOf(localpart))) {
            throw new MatrixException(400, Errcode.USER_IN_USE, "The user ID " + userIdOf(localpart) + " is already taken");
        }
    }

    /**
     * Open registration ({@code POST /register}) from a client address, counted by rc_registration
     * once the name is known to be free (a taken name costs nothing, as in Synapse).
     */
    public Session registerFromClient(String address, String localpart, String password, String deviceId,
                                      String deviceName, boolean inhibitLogin) {
        return tx.execute(status -> {
            limits.checkRegistration(address);
            if (localpart != null) {
                checkAvailable(localpart);
            }
            limits.registration(address);
            return register(localpart, password, false, deviceId, deviceName, inhibitLogin);
        });
    }

    /**
     * Creates an account and, unless {@code inhibitLogin}, a first session. Not rate-limited: the
     * shared-secret admin registration calls it directly (Synapse does not limit it either).
     */
    public Session register(String localpart, String password, boolean admin, String deviceId, String deviceName,
                            boolean inhibitLogin) {
        return tx.execute(status -> {
            String name = localpart != null ? localpart : generatedLocalpart();
            checkAvailable(name);
            String userId = userIdOf(name);
            String hash = password == null ? null : PasswordHashing.hash(password, properties.passwordHashIterations());
            Account account = new Account(userId, name, hash, admin, clock.millis());
            account.setDisplayname(name);
            try {
                accounts.saveAndFlush(account);
            } catch (DataIntegrityViolationException e) {
                // Registered by a request that got here first; this transaction rolls back.
                throw new MatrixException(400, Errcode.USER_IN_USE, "The user ID " + userId + " is already taken");
            }
            if (inhibitLogin) {
                return new Session(userId, null, null);
            }
            return newSession(userId, deviceId, deviceName);
        });
    }

    /**
     * Logs in with a password, as Synapse limits it: every attempt by client address
     * (rc_login.address); refused before the password is checked once the account has seen too
     * many failures lately (rc_login.failed_attempts); successful logins per account (rc_login.account).
     */
    public Session login(String user, String password, String deviceId, String deviceName, String address) {
        return tx.execute(status -> {
            limits.loginAttempt(address);
            String userId = user.startsWith("@") ? user : userIdOf(user.toLowerCase(Locale.ROOT));
            limits.checkFailedLogins(userId);
            Optional<Account> account = accounts.findById(userId);
            if (account.isEmpty() || account.get().deactivated()
                    || !PasswordHashing.matches(password, account.get().passwordHash())) {
                limits.failedLogin(userId);
                throw MatrixException.forbidden("Invalid username or password");
            }
            limits.successfulLogin(userId);
            return newSession(userId, deviceId, deviceName);
        });
    }

    public Optional<ClientUser> authenticate(String accessToken) {
        return sessions.byTokenHash(PasswordHashing.sha256(accessToken)).map(Sessions.TokenOwner::user);
    }

    /**
     * The user of an access token, recording the device as seen from {@code ip}: at most once per
     * {@link #LAST_SEEN_GRANULARITY_MS} per device (the spec allows last_seen_* to be minutes out of date).
     */
    public Optional<ClientUser> authenticate(String accessToken, String ip) {
        Optional<Sessions.TokenOwner> owner = sessions.byTokenHash(PasswordHashing.sha256(accessToken));
        owner.ifPresent(o -> {
            long now = clock.millis();
            if (o.lastSeenTs() == null || o.lastSeenTs() < now - LAST_SEEN_GRANULARITY_MS) {
                sessions.touchDevice(o.user().userId(), o.user().deviceId(), ip, now, now - LAST_SEEN_GRANULARITY_MS);
            }
        });
        return owner.map(Sessions.TokenOwner::user);
    }

    public void logout(String accessToken, ClientUser user) {
        tx.executeWithoutResult(status -> {
            sessions.deleteToken(PasswordHashing.sha256(accessToken));
            sessions.deleteDevice(user.userId(), user.deviceId());
        });
    }

    public void logoutAll(ClientUser user) {
        sessions.deleteAllDevices(user.userId());
    }

    public boolean exists(String userId) {
        return accounts.existsById(userId);
    }

    public Optional<String> displayname(String userId) {
        return accounts.findById(userId).map(Account::displayname);
    }

    public Optional<String> avatarUrl(String userId) {
        return accounts.findById(userId).map(Account::avatarUrl);
    }

    /** The displayname and avatar a local user's member events carry (spec client-server §Profiles). */
    public Map<String, Object> memberContent(String userId) {
        Map<String, Object> content = new LinkedHashMap<>();
        accounts.findById(userId).ifPresent(a -> {
            if (a.displayname() != null) {
                content.put("displayname", a.displayname());
            }
            if (a.avatarUrl() != null) {
                content.put("avatar_url", a.avatarUrl());
            }
        });
        return content;
    }

    /**
     * Up to {@code max} active local users whose user ID or displayname contains {@code term},
     * case-insensitively, by user ID (the user directory's local half).
     */
    public List<LocalProfile> searchLocal(String term, int max) {
        String pattern = "%" + term.toLowerCase(Locale.ROOT).replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%";
        return accounts.search(pattern, Limit.of(max)).stream()
                .map(a -> new LocalProfile(a.userId(), a.displayname(), a.avatarUrl())).toList();
    }

    public void setDisplayname(String userId, String displayname) {
        tx.executeWithoutResult(status -> accounts.findById(userId).ifPresent(a -> a.setDisplayname(displayname)));
    }

    public void setAvatarUrl(String userId, String avatarUrl) {
        tx.executeWithoutResult(status -> accounts.findById(userId).ifPresent(a -> a.setAvatarUrl(avatarUrl)));
    }

    private Session newSession(String userId, String deviceId, String deviceName) {
        String device = deviceId != null && !deviceId.isBlank() ? deviceId : randomString(10).toUpperCase(Locale.ROOT);
        long now = clock.millis();
        sessions.createDevice(userId, device, deviceName, now);
        String token = "vst_" + randomString(32);
        sessions.createToken(PasswordHashing.sha256(token), userId, device, now);
        return new Session(userId, token, device);
    }

    private String generatedLocalpart() {
        for (int i = 0; i < 10; i++) {
            String candidate = String.valueOf(100000 + RANDOM.nextInt(900000));
            if (!accounts.existsById(userIdOf(candidate))) {
                return candidate;
            }
        }
        return "u" + randomString(12).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "x");
    }

    private static String randomString(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b).replace('-', 'a').replace('_', 'b');
    }
}
