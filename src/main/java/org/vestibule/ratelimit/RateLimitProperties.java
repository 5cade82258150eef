package org.vestibule.ratelimit;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Rate limits, on by default with Synapse's defaults (its {@code rc_*} settings, 1.160). Every
 * value can be set on its own ({@code vestibule.rate-limits.login.failed-attempts.burst-count=5});
 * {@code vestibule.rate-limits.enabled=false} turns them all off, for test networks and benchmarks.
 *
 * @param enabled      all limits on or off
 * @param login        rc_login: every login request per client address, successful logins per
 *                     account, failed logins per account
 * @param registration rc_registration: registrations per client address
 * @param message      rc_message: events a user sends (messages, state, kicks and bans)
 * @param joins        rc_joins: a user's joins of rooms this server is in (local) and of other
 *                     servers' rooms (remote)
 * @param joinsPerRoom rc_joins_per_room: joins into one room from anywhere
 * @param invites      rc_invites: per room, per invited user, per inviting user
 * @param federation   rc_federation: inbound federation requests per origin server
 */
@ConfigurationProperties("vestibule.rate-limits")
public record RateLimitProperties(@DefaultValue("true") boolean enabled, Login login, Rate registration, Rate message,
                                  Joins joins, Rate joinsPerRoom, Invites invites, Federation federation) {

    public RateLimitProperties {
        login = login == null ? new Login(null, null, null) : login;
        registration = Rate.orDefault(registration, "registration", 0.17, 3);
        message = Rate.orDefault(message, "message", 0.2, 10);
        joins = joins == null ? new Joins(null, null) : joins;
        joinsPerRoom = Rate.orDefault(joinsPerRoom, "joins-per-room", 1, 10);
        invites = invites == null ? new Invites(null, null, null) : invites;
        federation = federation == null ? new Federation(null, null, null, null, null) : federation;
    }

    /**
     * A leaky bucket: {@code burstCount} actions at once, then {@code perSecond} on average.
     * Either may be left out and keeps its default.
     */
    public record Rate(Double perSecond, Double burstCount) {

        static Rate orDefault(Rate given, String name, double perSecond, double burstCount) {
            Rate r = new Rate(given == null || given.perSecond == null ? perSecond : given.perSecond,
                    given == null || given.burstCount == null ? burstCount : given.burstCount);
            if (!(r.perSecond > 0) || !(r.burstCount >= 1)) {
                throw new IllegalArgumentException("vestibule.rate-limits." + name + " needs per-second > 0 and "
                        + "burst-count >= 1, not " + r.perSecond + " and " + r.burstCount
                        + " (turn every limit off with vestibule.rate-limits.enabled=false)");
            }
            return r;
        }
    }

    public record Login(Rate address, Rate account, Rate failedAttempts) {
        public Login {
            address = Rate.orDefault(address, "login.address", 0.003, 5);
            account = Rate.orDefault(account, "login.account", 0.003, 5);
            failedAttempts = Rate.orDefault(failedAttempts, "login.failed-attempts", 0.17, 3);
        }
    }

    public record Joins(Rate local, Rate remote) {
        public Joins {
            local = Rate.orDefault(local, "joins.local", 0.1, 10);
            remote = Rate.orDefault(remote, "joins.remote", 0.01, 10);
        }
    }

    public record Invites(Rate perRoom, Rate perUser, Rate perIssuer) {
        public Invites {
            perRoom = Rate.orDefault(perRoom, "invites.per-room", 0.3, 10);
            perUser = Rate.orDefault(perUser, "invites.per-user", 0.003, 5);
            perIssuer = Rate.orDefault(perIssuer, "invites.per-issuer", 0.3, 10);
        }
    }

    /**
     * Synapse's model for one origin server: requests beyond {@code sleepLimit} within
     * {@code windowSize} wait {@code sleepDelay} first; at most {@code concurrent} are processed at
     * once, the rest queue; with more than {@code rejectLimit} waiting (delayed or queued), new
     * ones get 429.
     */
    public record Federation(Duration windowSize, Integer sleepLimit, Duration sleepDelay, Integer rejectLimit,
                             Integer concurrent) {
        public Federation {
            windowSize = windowSize == null ? Duration.ofMillis(1000) : windowSize;
            sleepLimit = sleepLimit == null ? 10 : sleepLimit;
            sleepDelay = sleepDelay == null ? Duration.ofMillis(500) : sleepDelay;
            rejectLimit = rejectLimit == null ? 50 : rejectLimit;
            concurrent = concurrent == null ? 3 : concurrent;
            if (windowSize.toMillis() <= 0 || sleepLimit < 0 || sleepDelay.isNegative() || rejectLimit < 0
                    || concurrent < 1) {
                throw new IllegalArgumentException("vestibule.rate-limits.federation needs window-size > 0, "
                        + "sleep-limit >= 0, sleep-delay >= 0, reject-limit >= 0 and concurrent >= 1");
            }
        }
    }
}
