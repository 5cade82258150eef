package org.vestibule.clientapi;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;
import org.vestibule.room.EventGraph;

/**
 * The reads behind /sync and /messages, by stream ordering: positions of memberships, timelines,
 * and a position up to which the stream is complete. Only events in the room's graph that passed
 * the auth rules reach clients: never outliers, rejected or soft-failed events.
 */
@Repository
class StreamReads {

    private static final Logger log = LoggerFactory.getLogger(StreamReads.class);

    /** An event that clients may see, at its position. */
    static final String VISIBLE = EventGraph.CLIENT_VISIBLE;

    /** How long a read waits for writers that hold lower stream positions to finish. */
    private static final long MAX_WRITER_WAIT_MS = 5_000;

    record Positioned(String eventId, long position) {}

    /** A user's current membership of a room and where its event sits in the stream. */
    record MembershipRow(String roomId, String membership, String eventId, long position) {}

    /** Where a user's out-of-band invite or knock last changed; membership null once it is gone. */
    record OutOfBandRow(String roomId, String membership, long position) {}

    private final JdbcTemplate jdbc;

    StreamReads(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * A stream position below which nothing more will appear. Stream orderings are handed out
     * when a row is written but become visible when its transaction commits, and transactions on
     * different rooms commit in any order; so after reading the sequence, this waits for the
     * transactions then writing events, out-of-band memberships, state resets, account data, typing,
     * receipts or presence (they hold every position handed out and not yet visible) to end.
     */
    long safePosition() {
        Long h = jdbc.queryForObject("select case when is_called then last_value else 0 end "
                + "from events_stream_ordering_seq", Long.class);
        long position = h == null ? 0 : h;
        List<String> writers = jdbc.queryForList("""
                select distinct virtualtransaction from pg_locks
                where locktype = 'relation' and mode = 'RowExclusiveLock' and granted and pid <> pg_backend_pid()
                  and database = (select oid from pg_database where datname = current_database())
                  and relation in ('events'::regclass, 'out_of_band_stream'::regclass,
                                   'room_state_resets'::regclass, 'account_data'::regclass,
                                   'typing_stream'::regclass, 'receipts'::regclass, 'presence'::regclass)""", String.class);
        long deadline = System.currentTimeMillis() + MAX_WRITER_WAIT_MS;
        long pause = 1;
        while (!writers.isEmpty()) {
            if (System.currentTimeMillis() > deadline) {
                log.info("Writers {} still hold stream positions after {} ms; syncing up to {} regardless", writers,
                        MAX_WRITER_WAIT_MS, position);
                break;
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            pause = Math.min(pause * 2, 20);
            // Every transaction holds the lock on its own virtual transaction ID until it ends.
            writers = jdbc.queryForList("select virtualxid from pg_locks where locktype = 'virtualxid' and virtualxid in ("
                    + placeholders(writers.size()) + ")", String.class, writers.toArray());
        }
        return position;
    }

    /** The user's current memberships, each with its event's stream position. */
    List<MembershipRow> memberships(String userId) {
        return jdbc.query("select m.room_id, m.membership, m.event_id, e.stream_ordering from room_memberships m "
                + "join events e on e.event_id = m.event_id where m.user_id = ?", (rs, i) -> new MembershipRow(
                rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4)), userId);
    }

    /** The user's current membership of one room, with its event's stream position. */
    Optional<MembershipRow> membership(String roomId, String userId) {
        return jdbc.query("select m.room_id, m.membership, m.event_id, e.stream_ordering from room_memberships m "
                + "join events e on e.event_id = m.event_id where m.room_id = ? and m.user_id = ?", (rs, i) ->
                new MembershipRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4)), roomId, userId)
                .stream().findFirst();
    }

    List<OutOfBandRow> outOfBand(String userId) {
        return jdbc.query("select room_id, membership, stream_ordering from out_of_band_stream where user_id = ?",
                (rs, i) -> new OutOfBandRow(rs.getString(1), rs.getString(2), rs.getLong(3)), userId);
    }

    Set<String> forgotten(String userId) {
        return new HashSet<>(jdbc.queryForList("select room_id from forgotten_rooms where user_id = ?", String.class,
                userId));
    }

    /** Members of a room by current membership, joined and invited only. */
    Map<String, Integer> memberCounts(String roomId) {
        Map<String, Integer> out = new HashMap<>();
        jdbc.query("select membership, count(*) from room_memberships where room_id = ? and membership in "
                + "('join', 'invite') group by membership", rs -> {
                    out.put(rs.getString(1), rs.getInt(2));
                }, roomId);
        return out;
    }

    Optional<Long> position(String eventId) {
        return jdbc.queryForList("select stream_ordering from events where event_id = ?", Long.class, eventId).stream()
                .findFirst();
    }

    /** Of these rooms, those with events clients may see in (after, upTo]. */
    Set<String> roomsWithEvents(Collection<String> roomIds, long after, long upTo) {
        if (roomIds.isEmpty() || upTo <= after) {
            return Set.of();
        }
        List<Object> args = new ArrayList<>(List.of(after, upTo));
        args.addAll(roomIds);
        return new HashSet<>(jdbc.queryForList("select distinct room_id from events where stream_ordering > ? "
                + "and stream_ordering <= ? and " + VISIBLE + " and room_id in (" + placeholders(roomIds.size()) + ")",
                String.class, args.toArray()));
    }

    /** Of these rooms, those whose whole state was replaced in (after, upTo] (a resync's end). */
    Set<String> roomsReset(Collection<String> roomIds, long after, long upTo) {
        if (roomIds.isEmpty() || upTo <= after) {
            return Set.of();
        }
        List<Object> args = new ArrayList<>(List.of(after, upTo));
        args.addAll(roomIds);
        return new HashSet<>(jdbc.queryForList("select room_id from room_state_resets where stream_ordering > ? "
                + "and stream_ordering <= ? and room_id in (" + placeholders(roomIds.size()) + ")",
                String.class, args.toArray()));
    }

    /** Visible events of a room in (after, upTo], newest first, at most {@code limit}. */
    List<Positioned> newestFirst(String roomId, long after, long upTo, int limit) {
        return jdbc.query("select event_id, stream_ordering from events where room_id = ? and stream_ordering > ? "
                + "and stream_ordering <= ? and " + VISIBLE + " order by stream_ordering desc limit ?",
                (rs, i) -> new Positioned(rs.getString(1), rs.getLong(2)), roomId, after, upTo, limit);
    }

    /** Visible events of a room in (after, upTo], oldest first, at most {@code limit}. */
    List<Positioned> oldestFirst(String roomId, long after, long upTo, int limit) {
        return jdbc.query("select event_id, stream_ordering from events where room_id = ? and stream_ordering > ? "
                + "and stream_ordering <= ? and " + VISIBLE + " order by stream_ordering limit ?",
                (rs, i) -> new Positioned(rs.getString(1), rs.getLong(2)), roomId, after, upTo, limit);
    }

    /** A visible event at its place in topological order: depth, then stream position. */
    record Placed(String eventId, long depth, long position) {}

    /**
     * Visible events of a room in topological order (depth, then stream ordering), as /messages
     * and /context page through them: those between {@code from} and {@code to} (either may be
     * null) in the direction of travel, nearest {@code from} first, at stream positions up to
     * {@code upTo} (a reader's bound; backfilled history, below zero, is always within it), of the
     * filter's types and senders, at most {@code limit}.
     */
    List<Placed> page(String roomId, PageToken from, PageToken to, boolean backwards, long upTo, RoomEventFilter filter,
                      int limit) {
        StringBuilder sql = new StringBuilder("select event_id, depth, stream_ordering from events where room_id = ? and "
                + VISIBLE + " and stream_ordering <= ?");
        List<Object> args = new ArrayList<>(List.of(roomId, upTo));
        if (from != null) {
            bound(sql, args, from, backwards ? "<=" : ">");
        }
        if (to != null) {
            bound(sql, args, to, backwards ? ">" : "<=");
        }
        filter.appendSql(sql, args);
        String order = backwards ? "desc" : "asc";
        sql.append(" order by depth ").append(order).append(", stream_ordering ").append(order).append(" limit ?");
        args.add(limit);
        return jdbc.query(sql.toString(), (rs, i) -> new Placed(rs.getString(1), rs.getLong(2), rs.getLong(3)),
                args.toArray());
    }

    /** An event's place in topological order, if it is in the graph and clients may see it. */
    Optional<Placed> placed(String eventId) {
        return jdbc.query("select event_id, depth, stream_ordering from events where event_id = ? and " + VISIBLE,
                (rs, i) -> new Placed(rs.getString(1), rs.getLong(2), rs.getLong(3)), eventId).stream().findFirst();
    }

    private static void bound(StringBuilder sql, List<Object> args, PageToken token, String op) {
        if (token instanceof PageToken.Topological t) {
            sql.append(" and (depth, stream_ordering) ").append(op).append(" (?, ?)");
            args.add(t.depth());
            args.add(t.stream());
        } else {
            sql.append(" and stream_ordering ").append(op).append(" ?");
            args.add(((PageToken.Stream) token).token().position());
        }
    }

    /** The transaction IDs this device sent these events with (spec: unsigned.transaction_id). */
    Map<String, String> transactionIds(String userId, String deviceId, Collection<String> eventIds) {
        Map<String, String> out = new HashMap<>();
        if (eventIds.isEmpty()) {
            return out;
        }
        List<Object> args = new ArrayList<>(List.of(userId, deviceId));
        args.addAll(eventIds);
        jdbc.query("select event_id, txn_id from client_transactions where user_id = ? and device_id = ? and event_id in ("
                + placeholders(eventIds.size()) + ")", rs -> {
                    out.put(rs.getString(1), rs.getString(2));
                }, args.toArray());
        return out;
    }

    private static String placeholders(int n) {
        return String.join(", ", Collections.nCopies(n, "?"));
    }
}
