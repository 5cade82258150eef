package org.vestibule.typing;

import jakarta.annotation.PreDestroy;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
import org.vestibule.presence.Presence;
import org.vestibule.room.RoomMemberships;

/**
 * Typing notifications (spec client-server §Typing Notifications, server-server §Typing
 * Notifications). Who types where lives in PostgreSQL (UNLOGGED tables of migration V35), not in
 * memory: a client's PUT and another client's /sync may reach different instances on the one
 * database, and an instance that starts must know who is typing now. Each change of a room's set
 * takes a stream position and NOTIFYs the room, so every instance's long polls wake and an
 * incremental sync shows the set of each room whose set changed since its token. Every instance
 * sweeps the expired typers; the DELETE … RETURNING hands each expiry to one of them.
 */
@Service
public class Typing implements ApplicationListener<ApplicationReadyEvent> {

    private static final Logger log = LoggerFactory.getLogger(Typing.class);

    /** Synapse's FEDERATION_TIMEOUT: another server's user stops typing this long after its last EDU. */
    static final long FEDERATION_TIMEOUT_MS = 60_000;
    /** Synapse's FEDERATION_PING_INTERVAL: our typing users are told again this often. */
    static final long FEDERATION_REFRESH_MS = 40_000;
    private static final long SWEEP_MS = 500;

    /** A typing user of a room. */
    private record Typer(String roomId, String userId) {}

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final RoomMemberships memberships;
    private final TransactionQueue queue;
    private final ServerKeyring keyring;
    private final Presence presence;
    private final TypingProperties properties;
    private final Clock clock;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "typing-timeouts");
        t.setDaemon(true);
        return t;
    });

    Typing(JdbcTemplate jdbc, TransactionTemplate tx, RoomMemberships memberships, TransactionQueue queue,
           ServerKeyring keyring, Presence presence, TypingProperties properties, Clock clock) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.memberships = memberships;
        this.queue = queue;
        this.keyring = keyring;
        this.presence = presence;
        this.properties = properties;
        this.clock = clock;
    }

    /**
     * {@code PUT /rooms/{roomId}/typing/{userId}}: one's own typing state only, in a room one is
     * joined to (403 otherwise, whether or not the room exists). {@code timeout} is capped at
     * {@code vestibule.typing.max-timeout}; a user who already types only has their time extended.
     */
    public void set(ClientUser user, String roomId, String userId, boolean typing, Long timeoutMs) {
        if (!Identifiers.isUserId(userId)) {
            throw MatrixException.invalidParam("'" + userId + "' is not a user ID");
        }
        if (!userId.equals(user.userId())) {
            throw MatrixException.forbidden("You may only set your own typing state, not " + userId + "'s");
        }
        if (!"join".equals(memberships.membershipOf(roomId, userId).orElse(null))) {
            throw MatrixException.forbidden("You are not joined to " + roomId);
        }
        if (timeoutMs != null && timeoutMs < 0) {
            throw MatrixException.invalidParam("'timeout' must not be negative");
        }
        long timeout = Math.min(properties.maxTimeout().toMillis(),
                timeoutMs == null ? properties.defaultTimeout().toMillis() : timeoutMs);
        presence.active(userId);
        tx.executeWithoutResult(status -> {
            long now = clock.millis();
            if (typing) {
                Boolean started = jdbc.queryForObject("insert into typing (room_id, user_id, expires_ts, federated_ts) "
                        + "values (?, ?, ?, ?) on conflict (room_id, user_id) do update set expires_ts = excluded.expires_ts "
                        + "returning xmax = 0", Boolean.class, roomId, userId, now + timeout, now);
                if (Boolean.TRUE.equals(started)) {
                    changed(List.of(roomId));
                    tellServers(roomId, userId, true, timeout);
                }
            } else if (jdbc.update("delete from typing where room_id = ? and user_id = ?", roomId, userId) > 0) {
                changed(List.of(roomId));
                tellServers(roomId, userId, false, FEDERATION_TIMEOUT_MS);
            }
        });
    }

    /**
     * An m.typing EDU (spec server-server §Typing Notifications: "verify that the user is in the
     * room, and is a user belonging to the sending server"). The user types until told otherwise
     * or for {@value #FEDERATION_TIMEOUT_MS} ms.
     */
    void receive(String origin, Map<String, Object> content) {
        String roomId = Json.string(content, "room_id").orElse(null);
        String userId = Json.string(content, "user_id").orElse(null);
        if (roomId == null || userId == null || !(content.get("typing") instanceof Boolean typing)
                || !origin.equals(Identifiers.serverOf(userId).orElse(null))
                || !memberships.isServerJoined(roomId, keyring.serverName())
                || !"join".equals(memberships.membershipOf(roomId, userId).orElse(null))) {
            return;
        }
        tx.executeWithoutResult(status -> {
            long now = clock.millis();
            if (typing) {
                Boolean started = jdbc.queryForObject("insert into typing (room_id, user_id, expires_ts) values (?, ?, ?) "
                        + "on conflict (room_id, user_id) do update set expires_ts = excluded.expires_ts returning xmax = 0",
                        Boolean.class, roomId, userId, now + FEDERATION_TIMEOUT_MS);
                if (Boolean.TRUE.equals(started)) {
                    changed(List.of(roomId));
                }
            } else if (jdbc.update("delete from typing where room_id = ? and user_id = ?", roomId, userId) > 0) {
                changed(List.of(roomId));
            }
        });
    }

    /**
     * /sync's m.typing events (spec: the whole list of typing users, which clients use to replace
     * what they knew). {@code after} maps each joined room to the position its sync starts from: 0
     * for a room seen whole (an initial sync, a room newly joined), which gets the list when anyone
     * types; else the room gets the list, empty or not, when it changed in (after, upTo].
     */
    public Map<String, Map<String, Object>> events(Map<String, Long> after, long upTo) {
        Map<String, Map<String, Object>> out = new TreeMap<>();
        if (after.isEmpty()) {
            return out;
        }
        Map<Long, List<String>> byPosition = new HashMap<>();
        after.forEach((room, position) -> byPosition.computeIfAbsent(position, p -> new ArrayList<>()).add(room));
        Set<String> changed = new LinkedHashSet<>();
        byPosition.forEach((position, rooms) -> {
            if (position > 0) {
                List<Object> args = new ArrayList<>(rooms);
                args.add(position);
                args.add(upTo);
                changed.addAll(jdbc.queryForList("select room_id from typing_stream where room_id in ("
                        + placeholders(rooms.size()) + ") and stream_ordering > ? and stream_ordering <= ?", String.class,
                        args.toArray()));
            }
        });
        Map<String, List<String>> typing = current(after.keySet());
        for (String room : after.keySet()) {
            List<String> users = typing.getOrDefault(room, List.of());
            if (changed.contains(room) || (after.get(room) == 0 && !users.isEmpty())) {
                out.put(room, Map.of("type", "m.typing", "content", Map.of("user_ids", users)));
            }
        }
        return out;
    }

    /** The users typing in each of the rooms now, joined members only, by user ID. */
    private Map<String, List<String>> current(Collection<String> rooms) {
        Map<String, List<String>> out = new HashMap<>();
        List<Object> args = new ArrayList<>(rooms);
        args.add(clock.millis());
        jdbc.query("select t.room_id, t.user_id from typing t join room_memberships m on m.room_id = t.room_id "
                + "and m.user_id = t.user_id and m.membership = 'join' where t.room_id in (" + placeholders(rooms.size())
                + ") and t.expires_ts > ? order by t.room_id, t.user_id", rs -> {
                    out.computeIfAbsent(rs.getString(1), r -> new ArrayList<>()).add(rs.getString(2));
                }, args.toArray());
        return out;
    }

    /** Ends expired typing (telling other servers when the user is ours) and tells other servers again of long typing. */
    void sweep() {
        tx.executeWithoutResult(status -> {
            long now = clock.millis();
            List<Typer> expired = jdbc.query("delete from typing where expires_ts <= ? returning room_id, user_id, "
                    + "federated_ts is not null", (rs, i) -> rs.getBoolean(3) ? new Typer(rs.getString(1), rs.getString(2))
                    : new Typer(rs.getString(1), null), now);
            if (expired.isEmpty()) {
                return;
            }
            changed(expired.stream().map(Typer::roomId).distinct().sorted().toList());
            for (Typer t : expired) {
                if (t.userId() != null) {
                    tellServers(t.roomId(), t.userId(), false, FEDERATION_TIMEOUT_MS);
                }
            }
        });
        tx.executeWithoutResult(status -> {
            long now = clock.millis();
            List<Object[]> refreshed = jdbc.query("update typing set federated_ts = ? where federated_ts <= ? "
                    + "returning room_id, user_id, expires_ts", (rs, i) -> new Object[] {rs.getString(1), rs.getString(2),
                    rs.getLong(3)}, now, now - FEDERATION_REFRESH_MS);
            for (Object[] r : refreshed) {
                tellServers((String) r[0], (String) r[1], true, (Long) r[2] - now);
            }
        });
    }

    /** Moves the rooms' typing sets to a new stream position; the trigger NOTIFYs each room. */
    private void changed(List<String> rooms) {
        jdbc.batchUpdate("insert into typing_stream (room_id, stream_ordering) values (?, 0) on conflict (room_id) "
                + "do update set stream_ordering = 0", rooms.stream().map(r -> new Object[] {r}).toList());
    }

    /** Queues an m.typing EDU for the other servers in the room, worth sending for as long as it stays true. */
    private void tellServers(String roomId, String userId, boolean typing, long worthMs) {
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("room_id", roomId);
        content.put("user_id", userId);
        content.put("typing", typing);
        queue.queueRoomEdu(roomId, memberships.joinedServers(roomId), OutboundEdu.bestEffort("m.typing",
                "m.typing " + roomId + " " + userId, content,
                Duration.ofMillis(Math.max(1_000, Math.min(worthMs, FEDERATION_TIMEOUT_MS)))));
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
                log.warn("Typing timeouts failed; trying again in {} ms", SWEEP_MS, e);
            }
        }, SWEEP_MS, SWEEP_MS, TimeUnit.MILLISECONDS);
    }

    @PreDestroy
    void stop() {
        timer.shutdownNow();
    }

    private static String placeholders(int n) {
        return String.join(", ", Collections.nCopies(n, "?"));
    }
}
