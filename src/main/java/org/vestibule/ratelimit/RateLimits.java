package org.vestibule.ratelimit;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.vestibule.error.MatrixException;

/**
 * The server's rate limits (Synapse's rc_* with its defaults), each answering 429
 * M_LIMIT_EXCEEDED with {@code retry_after_ms} when exceeded. Counters are in this instance's
 * memory: behind a load balancer each instance counts on its own. Where Synapse exempts callers,
 * so do the callers of these methods: the shared-secret admin registration and events the server
 * makes itself (a new room's initial state, profile changes copied into member events) are not
 * counted. Synapse exempts application services too; Vestibule has none.
 */
@Component
public class RateLimits {

    private static final Logger log = LoggerFactory.getLogger(RateLimits.class);
    private static final String PREFIX = "vestibule.rate-limits.";

    private final boolean enabled;
    private final MeterRegistry meters;
    private final RateLimiter loginAddress;
    private final RateLimiter loginAccount;
    private final RateLimiter loginFailures;
    private final RateLimiter registration;
    private final RateLimiter message;
    private final RateLimiter joinsLocal;
    private final RateLimiter joinsRemote;
    private final RateLimiter joinsPerRoom;
    private final RateLimiter invitesPerRoom;
    private final RateLimiter invitesPerUser;
    private final RateLimiter invitesPerIssuer;
    private final FederationRateLimiter federation;

    public RateLimits(RateLimitProperties properties, Clock clock, MeterRegistry meters) {
        this.enabled = properties.enabled();
        this.meters = meters;
        this.loginAddress = new RateLimiter(PREFIX + "login.address", properties.login().address(), clock);
        this.loginAccount = new RateLimiter(PREFIX + "login.account", properties.login().account(), clock);
        this.loginFailures = new RateLimiter(PREFIX + "login.failed-attempts", properties.login().failedAttempts(), clock);
        this.registration = new RateLimiter(PREFIX + "registration", properties.registration(), clock);
        this.message = new RateLimiter(PREFIX + "message", properties.message(), clock);
        this.joinsLocal = new RateLimiter(PREFIX + "joins.local", properties.joins().local(), clock);
        this.joinsRemote = new RateLimiter(PREFIX + "joins.remote", properties.joins().remote(), clock);
        this.joinsPerRoom = new RateLimiter(PREFIX + "joins-per-room", properties.joinsPerRoom(), clock);
        this.invitesPerRoom = new RateLimiter(PREFIX + "invites.per-room", properties.invites().perRoom(), clock);
        this.invitesPerUser = new RateLimiter(PREFIX + "invites.per-user", properties.invites().perUser(), clock);
        this.invitesPerIssuer = new RateLimiter(PREFIX + "invites.per-issuer", properties.invites().perIssuer(), clock);
        this.federation = new FederationRateLimiter(properties.federation(), clock, d -> Thread.sleep(d.toMillis()));
        Gauge.builder("vestibule.rate_limits.enabled", () -> enabled ? 1 : 0)
                .description("1 when vestibule.rate-limits are on, 0 when vestibule.rate-limits.enabled=false")
                .register(meters);
        if (!enabled) {
            log.warn("Rate limits are off (vestibule.rate-limits.enabled=false): test networks and benchmarks only");
        }
    }

    public boolean enabled() {
        return enabled;
    }

    /** rc_login.address: every login request from a client address. */
    public void loginAttempt(String address) {
        take(loginAddress, address, "Too many login attempts from " + address);
    }

    /** rc_login.failed_attempts, checked before the password is: refused once too many failed lately. */
    public void checkFailedLogins(String userId) {
        check(loginFailures, key(userId), "Too many failed logins for " + userId);
    }

    /** Counts a failed login of the account. */
    public void failedLogin(String userId) {
        if (enabled) {
            loginFailures.check(key(userId), true);
        }
    }

    /** rc_login.account: successful logins of one account. */
    public void successfulLogin(String userId) {
        take(loginAccount, key(userId), "Too many logins of " + userId);
    }

    /** rc_registration, checked before the request's other checks and not counted. */
    public void checkRegistration(String address) {
        check(registration, address, "Too many registrations from " + address);
    }

    /** rc_registration: registrations from a client address. */
    public void registration(String address) {
        take(registration, address, "Too many registrations from " + address);
    }

    /** rc_message: an event a user sends. */
    public void message(String userId) {
        take(message, userId, "Too many events sent by " + userId);
    }

    /**
     * rc_joins (local for a room this server is in, remote for another server's), then whether the
     * room has seen too many joins lately (rc_joins_per_room, counted by {@link #joinedRoom}).
     */
    public void join(String userId, String roomId, boolean remote) {
        if (!enabled) {
            return;
        }
        checkJoinsInRoom(roomId);
        take(remote ? joinsRemote : joinsLocal, userId, "Too many " + (remote ? "joins of other servers' rooms"
                : "joins") + " by " + userId);
    }

    /** rc_joins_per_room: refused while the room has seen too many joins lately (make_join, send_join). */
    public void checkJoinsInRoom(String roomId) {
        check(joinsPerRoom, roomId, "Too many users joined " + roomId + " lately");
    }

    /** Counts a join into the room, from here or any other server. */
    public void joinedRoom(String roomId) {
        if (enabled) {
            joinsPerRoom.record(roomId);
        }
    }

    /** rc_invites for one invite by a local user: per room, per invited user, per inviting user. */
    public void invite(String roomId, String issuer, String invitee) {
        if (!enabled) {
            return;
        }
        // Checked all before any is counted, so a refusal by one does not spend the others.
        check(invitesPerRoom, roomId, "Too many invites into " + roomId);
        check(invitesPerUser, key(invitee), "Too many invites for " + invitee);
        check(invitesPerIssuer, issuer, "Too many invites sent by " + issuer);
        take(invitesPerRoom, roomId, "Too many invites into " + roomId);
        take(invitesPerUser, key(invitee), "Too many invites for " + invitee);
        take(invitesPerIssuer, issuer, "Too many invites sent by " + issuer);
    }

    /** rc_invites.per_room for the invites of a new room's createRoom request, all at once. */
    public void invitesAtCreation(String issuer, List<String> invitees) {
        if (!enabled) {
            return;
        }
        for (int i = 0; i < invitees.size(); i++) {
            // A new room has no other invites yet: key by its creator, as Synapse does.
            take(invitesPerRoom, "createRoom:" + issuer, "Too many invites in new rooms by " + issuer);
        }
    }

    /** rc_invites.per_user for an invite another server asks us to sign (Synapse counts no other limit there). */
    public void inviteReceived(String invitee) {
        take(invitesPerUser, key(invitee), "Too many invites for " + invitee);
    }

    /** rc_federation: waits as the origin's recent requests require and holds a processing slot. */
    public FederationRateLimiter.Permit federationRequest(String origin) {
        if (!enabled) {
            return () -> {};
        }
        try {
            return federation.acquire(origin);
        } catch (MatrixException e) {
            if (e.status() == 429) {
                meters.counter("vestibule.rate_limited", "limit", "federation").increment();
            }
            throw e;
        }
    }

    private void take(RateLimiter limiter, String key, String what) {
        if (enabled) {
            refuseIfWaiting(limiter, limiter.check(key, true), what);
        }
    }

    private void check(RateLimiter limiter, String key, String what) {
        if (enabled) {
            refuseIfWaiting(limiter, limiter.check(key, false), what);
        }
    }

    private void refuseIfWaiting(RateLimiter limiter, long waitMs, String what) {
        if (waitMs > 0) {
            meters.counter("vestibule.rate_limited", "limit", limiter.setting().substring(PREFIX.length())).increment();
            throw MatrixException.limitExceeded(waitMs, what + "; try again in " + seconds(waitMs) + " s ("
                    + limiter.describe() + ")");
        }
    }

    private static String key(String userId) {
        return userId.toLowerCase(Locale.ROOT);
    }

    private static String seconds(long ms) {
        return String.format(Locale.ROOT, "%.1f", Math.ceil(ms / 100.0) / 10);
    }
}
