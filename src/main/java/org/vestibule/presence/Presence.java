package org.vestibule.presence;

import jakarta.annotation.PreDestroy;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;
import org.vestibule.accounts.ClientUser;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Identifiers;
import org.vestibule.event.Json;
import org.vestibule.federation.outbound.OutboundEdu;
import org.vestibule.federation.outbound.TransactionQueue;
import org.vestibule.keys.ServerKeyring;

/**
 * Presence (spec client-server §Presence, server-server §Presence): what our users set or their
 * syncs imply, what other servers push for theirs, who may see it, and the timeouts. Every
 * instance on the database sweeps the timeouts; each transition is one conditional UPDATE, so one
 * instance makes it. A change clients would see moves the stream and wakes the syncs of everyone
 * sharing a room (migration V35's trigger) and, for our users, is pushed to the servers sharing a
 * room with them.
 */
@Service
public class Presence implements ApplicationListener<ApplicationReadyEvent> {

    private static final Logger log = LoggerFactory.getLogger(Presence.class);

    static final int MAX_STATUS_MSG = 1024;
    /** Synapse's LAST_ACTIVE_GRANULARITY: active within this long is "currently active". */
    static final long CURRENTLY_ACTIVE_MS = 60_000;
    /** Synapse's FEDERATION_PING_INTERVAL: our users' presence is told again this often, before peers time it out. */
    static final long FEDERATION_PING_MS = 25 * 60_000;
    /** Updates read from one m.presence EDU. */
    static final int MAX_PUSH = 1_000;
    private static final long SWEEP_MS = 2_000;
    private static final String COLUMNS = "user_id, local, presence, status_msg, last_active_ts, currently_active, "
            + "last_seen_ts, federated_ts";
    /** Users who share a joined room with ?, and ? themselves. */
    private static final String SHARING = "select b.user_id from room_memberships a join room_memberships b "
            + "on b.room_id = a.room_id where a.user_id = ? and a.membership = 'join' and b.membership = 'join' "
            + "union select ?::text";

    /** A change of one user's state; returns the state unchanged to write nothing. */
    private interface Change {
        PresenceState apply(PresenceState current, long now);
    }

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final TransactionQueue queue;
    private final ServerKeyring keyring;
    private final PresenceProperties properties;
    private final Clock clock;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "presence-timeouts");
        t.setDaemon(true);
        return t;
    });

    Presence(JdbcTemplate jdbc, TransactionTemplate tx, TransactionQueue queue, ServerKeyring keyring,
             PresenceProperties properties, Clock clock) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.queue = queue;
        this.keyring = keyring;
        this.properties = properties;
        this.clock = clock;
    }

    /** {@code set_presence} of /sync: null (online), or one of the states; 400 M_INVALID_PARAM for anything else. */
    public static String setPresenceParameter(String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        if (!PresenceState.STATES.contains(value)) {
            throw MatrixException.invalidParam("'set_presence' must be one of " + PresenceState.STATES + ", not '"
                    + value + "'");
        }
        return value;
    }

    /** {@code PUT /presence/{userId}/status}: one's own presence only; setting it counts as activity when online. */
    public void set(ClientUser user, String userId, String presence, String statusMsg) {
        requireUserId(userId);
        if (!userId.equals(user.userId())) {
            throw MatrixException.forbidden("You may only set your own presence, not " + userId + "'s");
        }
        if (!PresenceState.STATES.contains(presence)) {
            throw MatrixException.invalidParam("'presence' must be one of " + PresenceState.STATES + ", not '"
                    + presence + "'");
        }
        if (statusMsg != null && statusMsg.length() > MAX_STATUS_MSG) {
            throw MatrixException.invalidParam("A status_msg may be at most " + MAX_STATUS_MSG + " characters");
        }
        change(userId, true, true, (s, now) -> PresenceState.ONLINE.equals(presence)
                ? s.with(presence, statusMsg, now, true, now)
                : s.with(presence, statusMsg, s.lastActiveTs(), false, now));
    }

    /**
     * {@code GET /presence/{userId}/status}: one's own, or that of someone sharing a room with the
     * caller (spec §Presence: "published to all users who share a room"); 403 otherwise, whether
     * or not the user exists. Someone we know nothing of is {@code offline}.
     */
    public Map<String, Object> get(ClientUser user, String userId) {
        requireUserId(userId);
        if (!userId.equals(user.userId()) && !sharesRoom(user.userId(), userId)) {
            throw MatrixException.forbidden("You are not allowed to see the presence of " + userId
                    + ": you share no room with them");
        }
        PresenceState state = find(userId);
        return state == null ? Map.of("presence", PresenceState.OFFLINE) : state.content(clock.millis());
    }

    /**
     * A sync started with {@code set_presence} (spec sync.yaml): absent or {@code online} marks an
     * offline user online ("the default state when the user is connected to an event stream") and
     * keeps an idle one idle until they do something; {@code unavailable} marks them idle;
     * {@code offline} leaves their presence alone. Syncing itself is not activity (spec §Last
     * active ago: "pro-active" events are), unlike in Synapse, so the idle timeout can happen.
     * The user counts as connected until the sync may end ({@code waitMs} from now): a long poll
     * with nothing to tell must not let them time out while it waits.
     */
    public void syncing(String userId, String setPresence, long waitMs) {
        if (PresenceState.OFFLINE.equals(setPresence)) {
            return;
        }
        change(userId, true, true, (s, now) -> {
            long connectedUntil = now + Math.max(0, waitMs);
            if (PresenceState.UNAVAILABLE.equals(setPresence)) {
                return s.with(PresenceState.UNAVAILABLE, s.statusMsg(), s.lastActiveTs(), false, connectedUntil);
            }
            if (PresenceState.OFFLINE.equals(s.presence())) {
                return s.with(PresenceState.ONLINE, s.statusMsg(), now, true, connectedUntil);
            }
            return s.with(s.presence(), s.statusMsg(), s.lastActiveTs(), s.currentlyActive(), connectedUntil);
        });
    }

    /**
     * A sync that marked the user online or idle answered: they stay so for {@code offline-after}
     * from now at least (another device's sync may be waiting longer, hence never earlier).
     */
    public void syncEnded(String userId, String setPresence) {
        if (!PresenceState.OFFLINE.equals(setPresence)) {
            jdbc.update("update presence set last_seen_ts = greatest(last_seen_ts, ?) where user_id = ? "
                    + "and presence <> 'offline'", clock.millis(), userId);
        }
    }

    /** Something the user did (a message, a receipt, typing): active now, and online again when idle (spec §Idle timeout). */
    public void active(String userId) {
        change(userId, true, false, (s, now) -> {
            String presence = PresenceState.UNAVAILABLE.equals(s.presence()) ? PresenceState.ONLINE : s.presence();
            return s.with(presence, s.statusMsg(), now, PresenceState.ONLINE.equals(presence), s.lastSeenTs());
        });
    }

    /**
     * /sync's {@code presence.events}: the presence of the user and of everyone sharing a joined
     * room with them that changed in (since, upTo]; an initial sync ({@code since} null) leaves out
     * those offline, as Synapse does.
     */
    public List<Map<String, Object>> events(String userId, Long since, long upTo) {
        List<PresenceState> states = jdbc.query("select " + COLUMNS + " from presence where user_id in (" + SHARING
                + ") and stream_ordering > ? and stream_ordering <= ?" + (since == null ? " and presence <> 'offline'" : "")
                + " order by user_id", Presence::row, userId, userId, since == null ? 0 : since, upTo);
        long now = clock.millis();
        List<Map<String, Object>> events = new ArrayList<>();
        for (PresenceState s : states) {
            Map<String, Object> event = new LinkedHashMap<>();
            event.put("type", "m.presence");
            event.put("sender", s.userId());
            event.put("content", s.content(now));
            events.add(event);
        }
        return events;
    }

    /**
     * An m.presence EDU (spec server-server §Presence): updates for users of the sending server
     * who share a room with one of ours; anything else in it is ignored.
     */
    void receive(String origin, Map<String, Object> content) {
        List<Object> push = Json.list(content, "push");
        for (Object o : push.subList(0, Math.min(push.size(), MAX_PUSH))) {
            if (!(o instanceof Map<?, ?> m) || !(m.get("user_id") instanceof String userId)
                    || !origin.equals(Identifiers.serverOf(userId).orElse(null))
                    || !(m.get("presence") instanceof String presence) || !PresenceState.STATES.contains(presence)
                    || !(m.get("last_active_ago") instanceof Long ago) || ago < 0) {
                continue;
            }
            String statusMsg = m.get("status_msg") instanceof String s && s.length() <= MAX_STATUS_MSG ? s : null;
            boolean currentlyActive = Boolean.TRUE.equals(m.get("currently_active"));
            if (!sharesRoomWithUs(userId)) {
                continue;
            }
            change(userId, false, true, (s, now) -> s.with(presence, statusMsg, now - ago, currentlyActive, now));
        }
    }

    /**
     * One write under the row's lock: the change applied to the stored state (or to "offline, now"
     * when there is none and {@code create}), written when it differs, and pushed to other servers
     * when it is our user's and a client would see the difference.
     */
    private void change(String userId, boolean local, boolean create, Change change) {
        tx.executeWithoutResult(status -> {
            long now = clock.millis();
            PresenceState old = lock(userId);
            if (old == null && !create) {
                return;
            }
            PresenceState base = old != null ? old : PresenceState.offline(userId, local, now);
            PresenceState next = change.apply(base, now);
            if (old != null && next.equals(old)) {
                return;
            }
            boolean tell = local && next.visiblyDiffersFrom(old);
            if (tell) {
                next = new PresenceState(next.userId(), next.local(), next.presence(), next.statusMsg(),
                        next.lastActiveTs(), next.currentlyActive(), next.lastSeenTs(), now);
            }
            if (old == null) {
                int inserted = jdbc.update("insert into presence (" + COLUMNS + ", stream_ordering) values "
                        + "(?, ?, ?, ?, ?, ?, ?, ?, 0) on conflict (user_id) do nothing", next.userId(), next.local(),
                        next.presence(), next.statusMsg(), next.lastActiveTs(), next.currentlyActive(), next.lastSeenTs(),
                        next.federatedTs());
                if (inserted == 0) {
                    // Another instance wrote the first row meanwhile (its insert waited for that): apply the change to it.
                    change(userId, local, create, change);
                    return;
                }
            } else {
                jdbc.update("update presence set presence = ?, status_msg = ?, last_active_ts = ?, currently_active = ?, "
                        + "last_seen_ts = ?, federated_ts = ? where user_id = ?", next.presence(), next.statusMsg(),
                        next.lastActiveTs(), next.currentlyActive(), next.lastSeenTs(), next.federatedTs(), userId);
            }
            if (tell) {
                push(List.of(next), now);
            }
        });
    }

    /** Queues an m.presence EDU for each user to the servers sharing a room with them. */
    private void push(List<PresenceState> states, long now) {
        for (PresenceState s : states) {
            List<String> servers = jdbc.queryForList("select distinct b.server_name from room_memberships a "
                    + "join room_memberships b on b.room_id = a.room_id where a.user_id = ? and a.membership = 'join' "
                    + "and b.membership = 'join'", String.class, s.userId());
            queue.queueEdu(servers, OutboundEdu.bestEffort("m.presence", "m.presence " + s.userId(),
                    Map.of("push", List.of(s.push(now))), properties.remoteOfflineAfter()));
        }
    }

    /**
     * The timeouts (spec §Last active ago, §Idle timeout; Synapse's timings): our users offline once
     * they stop syncing, idle after a while without activity, no longer currently active a minute
     * after their last action; other servers' users offline after a long silence; our users'
     * presence told again before other servers time it out.
     */
    void sweep() {
        tx.executeWithoutResult(status -> {
            long now = clock.millis();
            List<PresenceState> changed = new ArrayList<>();
            changed.addAll(jdbc.query("update presence set presence = 'offline', currently_active = false, federated_ts = ? "
                    + "where local and presence <> 'offline' and last_seen_ts < ? returning " + COLUMNS, Presence::row,
                    now, now - properties.offlineAfter().toMillis()));
            changed.addAll(jdbc.query("update presence set presence = 'unavailable', currently_active = false, "
                    + "federated_ts = ? where local and presence = 'online' and last_active_ts < ? returning " + COLUMNS,
                    Presence::row, now, now - properties.idleAfter().toMillis()));
            changed.addAll(jdbc.query("update presence set currently_active = false, federated_ts = ? where local "
                    + "and currently_active and last_active_ts < ? returning " + COLUMNS, Presence::row, now,
                    now - CURRENTLY_ACTIVE_MS));
            changed.addAll(jdbc.query("update presence set federated_ts = ? where local and presence <> 'offline' "
                    + "and federated_ts < ? returning " + COLUMNS, Presence::row, now, now - FEDERATION_PING_MS));
            jdbc.update("update presence set presence = 'offline', currently_active = false where not local "
                    + "and presence <> 'offline' and last_seen_ts < ?", now - properties.remoteOfflineAfter().toMillis());
            // A user changed twice in one sweep is told once, as they are now.
            Map<String, PresenceState> latest = new LinkedHashMap<>();
            changed.forEach(s -> latest.put(s.userId(), s));
            push(new ArrayList<>(latest.values()), now);
        });
    }

    @Override
    public void onApplicationEvent(ApplicationReadyEvent ready) {
        startTimeouts();
    }

    void startTimeouts() {
        timer.scheduleWithFixedDelay(() -> {
            try {
                sweep();
            } catch (RuntimeException e) {
                log.warn("Presence timeouts failed; trying again in {} ms", SWEEP_MS, e);
            }
        }, SWEEP_MS, SWEEP_MS, TimeUnit.MILLISECONDS);
    }

    @PreDestroy
    void stop() {
        timer.shutdownNow();
    }

    private PresenceState lock(String userId) {
        return jdbc.query("select " + COLUMNS + " from presence where user_id = ? for update", Presence::row, userId)
                .stream().findFirst().orElse(null);
    }

    private PresenceState find(String userId) {
        return jdbc.query("select " + COLUMNS + " from presence where user_id = ?", Presence::row, userId).stream()
                .findFirst().orElse(null);
    }

    private boolean sharesRoom(String a, String b) {
        return Boolean.TRUE.equals(jdbc.queryForObject("select exists (select 1 from room_memberships x join "
                + "room_memberships y on y.room_id = x.room_id where x.user_id = ? and x.membership = 'join' "
                + "and y.user_id = ? and y.membership = 'join')", Boolean.class, a, b));
    }

    private boolean sharesRoomWithUs(String userId) {
        return Boolean.TRUE.equals(jdbc.queryForObject("select exists (select 1 from room_memberships x join "
                + "room_memberships y on y.room_id = x.room_id where x.user_id = ? and x.membership = 'join' "
                + "and y.server_name = ? and y.membership = 'join')", Boolean.class, userId, keyring.serverName()));
    }

    private static void requireUserId(String userId) {
        if (!Identifiers.isUserId(userId)) {
            throw MatrixException.invalidParam("'" + userId + "' is not a user ID");
        }
    }

    private static PresenceState row(ResultSet rs, int i) throws SQLException {
        return new PresenceState(rs.getString(1), rs.getBoolean(2), rs.getString(3), rs.getString(4), rs.getLong(5),
                rs.getBoolean(6), rs.getLong(7), rs.getLong(8));
    }
}
