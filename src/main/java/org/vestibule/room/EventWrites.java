package org.vestibule.room;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;
import org.vestibule.auth.StateKey;
import org.vestibule.event.Identifiers;
import org.vestibule.event.Pdu;
import org.vestibule.room.StateGroups.Planned;
import org.vestibule.room.StateGroups.Ref;

/**
 * The graph's writes on the hot path, each as one statement (data-modifying CTEs over arrays), so
 * storing an event costs a handful of round trips whatever the room's size. Reads go through the
 * JPA repositories.
 */
@Repository
class EventWrites {

    /** How an event sits in the graph once stored: its state groups, stored or written with it. */
    record Placement(String rejection, boolean softFailed, Ref stateBefore, Ref stateAfter) {}

    /** One row of room_memberships. */
    record Membership(String userId, String membership, String eventId, String sender) {}

    /**
     * How the room moves forward: extremities, current state, memberships and the state version
     * change together.
     */
    record Advance(String roomId, Collection<String> removedExtremities, Collection<String> addedExtremities,
                   boolean clearExtremities, Map<StateKey, String> stateChanges, List<Membership> membershipChanges,
                   List<String> membershipRemovals, long newStateVersion) {}

    /** What storing an event wrote: the IDs of the groups planned with it, and its waiting redactions. */
    record Written(List<Long> groupIds, List<String> waitingRedactions) {}

    private final JdbcTemplate jdbc;

    EventWrites(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Inserts an event with its prev and auth edges, or places an outlier we already had into the
     * graph, in one statement with the state groups planned for it and, unless null, the room's
     * advance: under the room's lock each round trip counts.
     *
     * @param newGroups the planned groups among the placement's (the first before the second)
     * @return the new groups' IDs and the redactions of the event that arrived before it and wait
     *         to be applied (read under the room's lock, as redactions of it are stored)
     */
    Written store(Pdu event, long receivedTs, Placement placement, List<Planned> newGroups, boolean alreadyStoredAsOutlier,
                 Advance advance) {
        StringBuilder sql = new StringBuilder("with ");
        newGroups.forEach(g -> sql.append(StateGroups.insertCtes(g)));
        String before = StateGroups.idOf(placement.stateBefore());
        String after = StateGroups.idOf(placement.stateAfter());
        if (alreadyStoredAsOutlier) {
            sql.append("e as (update events set outlier = false, rejection_reason = ?, soft_failed = ?, state_before = ")
                    .append(before).append(", state_after = ").append(after).append(" where event_id = ? returning event_id),\n");
        } else {
            sql.append("""
                    e as (insert into events (event_id, room_id, type, state_key, sender, depth, origin_server_ts,
                        received_ts, json, outlier, rejection_reason, soft_failed, state_before, state_after)
                        values (?, ?, ?, ?, ?, ?, ?, ?, ?, false, ?, ?, """).append(before).append(", ").append(after)
                    .append(") returning event_id),\n");
        }
        sql.append("""
                p as (insert into event_edges (event_id, prev_event_id)
                    select e.event_id, unnest(?::text[]) from e on conflict do nothing),
                a as (insert into event_auth_edges (event_id, auth_event_id)
                    select e.event_id, unnest(?::text[]) from e on conflict do nothing)""");
        if (advance != null) {
            sql.append(",\n").append(ADVANCE_CTES);
        }
        sql.append("\nselect array(select r.redaction_id from redactions r join e on r.redacts = e.event_id where not r.applied)");
        newGroups.forEach(g -> sql.append(", ").append(StateGroups.idOf(g)));
        return jdbc.execute((ConnectionCallback<Written>) c -> {
            try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                int i = 1;
                for (Planned g : newGroups) {
                    i = StateGroups.bindInsert(ps, g, i);
                }
                if (alreadyStoredAsOutlier) {
                    ps.setString(i++, DbText.readable(placement.rejection()));
                    ps.setBoolean(i++, placement.softFailed());
                    i = StateGroups.bindId(ps, placement.stateBefore(), i);
                    i = StateGroups.bindId(ps, placement.stateAfter(), i);
                    ps.setString(i++, event.eventId());
                } else {
                    i = bindEvent(ps, event, receivedTs, i);
                    ps.setString(i++, DbText.readable(placement.rejection()));
                    ps.setBoolean(i++, placement.softFailed());
                    i = StateGroups.bindId(ps, placement.stateBefore(), i);
                    i = StateGroups.bindId(ps, placement.stateAfter(), i);
                }
                ps.setArray(i++, text(c, event.prevEvents()));
                ps.setArray(i++, text(c, event.authEvents()));
                if (advance != null) {
                    bindAdvance(ps, c, advance, i);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    List<String> waiting = List.of((String[]) rs.getArray(1).getArray());
                    List<Long> ids = new ArrayList<>();
                    for (int k = 0; k < newGroups.size(); k++) {
                        ids.add(rs.getLong(k + 2));
                    }
                    return new Written(ids, waiting);
                }
            }
        });
    }

    /**
     * Inserts a backfilled event (history older than what we held) with its edges, or places an
     * outlier we had: in the graph with its state, at a stream ordering below zero (migration V30),
     * so no sync shows it as news.
     */
    void storeBackfilled(Pdu event, long receivedTs, Placement placement, boolean alreadyStoredAsOutlier) {
        String before = StateGroups.idOf(placement.stateBefore());
        String after = StateGroups.idOf(placement.stateAfter());
        String sql = alreadyStoredAsOutlier
                ? "with e as (update events set outlier = false, rejection_reason = ?, soft_failed = false, state_before = "
                        + before + ", state_after = " + after
                        + ", stream_ordering = nextval('events_backfill_ordering_seq') where event_id = ? returning event_id),\n"
                : """
                    with e as (
                        insert into events (event_id, room_id, type, state_key, sender, depth, origin_server_ts,
                            received_ts, json, outlier, rejection_reason, soft_failed, state_before, state_after,
                            stream_ordering)
                        values (?, ?, ?, ?, ?, ?, ?, ?, ?, false, ?, false, """ + before + ", " + after
                        + ", nextval('events_backfill_ordering_seq')) returning event_id),\n";
        jdbc.execute((ConnectionCallback<Void>) c -> {
            try (PreparedStatement ps = c.prepareStatement(sql + """
                    p as (insert into event_edges (event_id, prev_event_id)
                        select e.event_id, unnest(?::text[]) from e on conflict do nothing)
                    insert into event_auth_edges (event_id, auth_event_id)
                        select e.event_id, unnest(?::text[]) from e on conflict do nothing""")) {
                int i = 1;
                if (alreadyStoredAsOutlier) {
                    ps.setString(i++, DbText.readable(placement.rejection()));
                    i = StateGroups.bindId(ps, placement.stateBefore(), i);
                    i = StateGroups.bindId(ps, placement.stateAfter(), i);
                    ps.setString(i++, event.eventId());
                } else {
                    i = bindEvent(ps, event, receivedTs, i);
                    ps.setString(i++, DbText.readable(placement.rejection()));
                    i = StateGroups.bindId(ps, placement.stateBefore(), i);
                    i = StateGroups.bindId(ps, placement.stateAfter(), i);
                }
                ps.setArray(i++, text(c, event.prevEvents()));
                ps.setArray(i, text(c, event.authEvents()));
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** Binds an event's columns up to its JSON from parameter {@code i}; returns the next index. */
    private static int bindEvent(PreparedStatement ps, Pdu event, long receivedTs, int i) throws SQLException {
        ps.setString(i++, event.eventId());
        ps.setString(i++, event.roomId());
        ps.setString(i++, DbText.encode(event.type()));
        ps.setString(i++, DbText.encode(event.stateKey()));
        ps.setString(i++, event.sender());
        ps.setLong(i++, event.depth());
        ps.setLong(i++, event.originServerTs());
        ps.setLong(i++, receivedTs);
        ps.setBytes(i++, event.canonicalBytes());
        return i;
    }

    /** Inserts many outliers (each with its rejection reason or null) and their auth edges in one statement. */
    void storeOutliers(List<Pdu> outliers, List<String> rejections, long receivedTs) {
        if (outliers.isEmpty()) {
            return;
        }
        int n = outliers.size();
        String[] ids = new String[n];
        String[] rooms = new String[n];
        String[] types = new String[n];
        String[] keys = new String[n];
        String[] senders = new String[n];
        Long[] depths = new Long[n];
        Long[] ts = new Long[n];
        byte[][] json = new byte[n][];
        String[] rejection = new String[n];
        List<String> edgeFrom = new ArrayList<>();
        List<String> edgeTo = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Pdu p = outliers.get(i);
            ids[i] = p.eventId();
            rooms[i] = p.roomId();
            types[i] = DbText.encode(p.type());
            keys[i] = DbText.encode(p.stateKey());
            senders[i] = p.sender();
            depths[i] = p.depth();
            ts[i] = p.originServerTs();
            json[i] = p.canonicalBytes();
            rejection[i] = DbText.readable(rejections.get(i));
            for (String a : p.authEvents()) {
                edgeFrom.add(p.eventId());
                edgeTo.add(a);
            }
        }
        jdbc.execute((ConnectionCallback<Void>) c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    with e as (
                        insert into events (event_id, room_id, type, state_key, sender, depth, origin_server_ts,
                            received_ts, json, outlier, rejection_reason)
                        select i, r, t, k, s, d, o, ?, j, true, x
                        from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[],
                                    ?::bytea[], ?::text[]) as u(i, r, t, k, s, d, o, j, x)
                        on conflict (event_id) do nothing)
                    insert into event_auth_edges (event_id, auth_event_id)
                        select * from unnest(?::text[], ?::text[]) on conflict do nothing""")) {
                int i = 1;
                ps.setLong(i++, receivedTs);
                ps.setArray(i++, c.createArrayOf("text", ids));
                ps.setArray(i++, c.createArrayOf("text", rooms));
                ps.setArray(i++, c.createArrayOf("text", types));
                ps.setArray(i++, c.createArrayOf("text", keys));
                ps.setArray(i++, c.createArrayOf("text", senders));
                ps.setArray(i++, c.createArrayOf("bigint", depths));
                ps.setArray(i++, c.createArrayOf("bigint", ts));
                ps.setArray(i++, c.createArrayOf("bytea", json));
                ps.setArray(i++, c.createArrayOf("text", rejection));
                ps.setArray(i++, c.createArrayOf("text", edgeFrom.toArray()));
                ps.setArray(i, c.createArrayOf("text", edgeTo.toArray()));
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** The CTEs of an {@link Advance}, as {@link #bindAdvance} binds them. */
    private static final String ADVANCE_CTES = """
            dx as (delete from forward_extremities where room_id = ? and (? or event_id = any(?::text[]))),
            ax as (insert into forward_extremities (room_id, event_id) select ?, unnest(?::text[])
                on conflict do nothing),
            ds as (delete from current_state where room_id = ?
                and (type, state_key) in (select * from unnest(?::text[], ?::text[]))),
            us as (insert into current_state (room_id, type, state_key, event_id)
                select ?, * from unnest(?::text[], ?::text[], ?::text[])
                on conflict (room_id, type, state_key) do update set event_id = excluded.event_id),
            dm as (delete from room_memberships where room_id = ? and user_id = any(?::text[])),
            um as (insert into room_memberships (room_id, user_id, server_name, membership, event_id, sender)
                select ?, * from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
                on conflict (room_id, user_id) do update set membership = excluded.membership,
                    event_id = excluded.event_id, sender = excluded.sender),
            sv as (update rooms set state_version = ? where room_id = ?)""";

    /** Moves the room forward in one statement, without an event stored with it. */
    void advance(Advance advance) {
        jdbc.execute((ConnectionCallback<Void>) c -> {
            try (PreparedStatement ps = c.prepareStatement("with " + ADVANCE_CTES + "\nselect 1")) {
                bindAdvance(ps, c, advance, 1);
                ps.execute();
            }
            return null;
        });
    }

    private static void bindAdvance(PreparedStatement ps, Connection c, Advance advance, int i) throws SQLException {
        List<String> delTypes = new ArrayList<>();
        List<String> delKeys = new ArrayList<>();
        List<String> putTypes = new ArrayList<>();
        List<String> putKeys = new ArrayList<>();
        List<String> putIds = new ArrayList<>();
        advance.stateChanges().forEach((k, v) -> {
            if (v == null) {
                delTypes.add(DbText.encode(k.type()));
                delKeys.add(DbText.encode(k.stateKey()));
            } else {
                putTypes.add(DbText.encode(k.type()));
                putKeys.add(DbText.encode(k.stateKey()));
                putIds.add(v);
            }
        });
        List<Membership> changes = advance.membershipChanges();
        int m = changes.size();
        String[] users = new String[m];
        String[] servers = new String[m];
        String[] values = new String[m];
        String[] eventIds = new String[m];
        String[] senders = new String[m];
        for (int k = 0; k < m; k++) {
            Membership change = changes.get(k);
            // A member event's state key: a user ID once the auth rules passed it, but stored as any state key is.
            users[k] = DbText.encode(change.userId());
            servers[k] = DbText.encode(Identifiers.serverOf(change.userId()).orElse(""));
            values[k] = change.membership();
            eventIds[k] = change.eventId();
            senders[k] = change.sender();
        }
        String roomId = advance.roomId();
        ps.setString(i++, roomId);
        ps.setBoolean(i++, advance.clearExtremities());
        ps.setArray(i++, text(c, advance.removedExtremities()));
        ps.setString(i++, roomId);
        ps.setArray(i++, text(c, advance.addedExtremities()));
        ps.setString(i++, roomId);
        ps.setArray(i++, text(c, delTypes));
        ps.setArray(i++, text(c, delKeys));
        ps.setString(i++, roomId);
        ps.setArray(i++, text(c, putTypes));
        ps.setArray(i++, text(c, putKeys));
        ps.setArray(i++, text(c, putIds));
        ps.setString(i++, roomId);
        ps.setArray(i++, text(c, advance.membershipRemovals().stream().map(DbText::encode).toList()));
        ps.setString(i++, roomId);
        ps.setArray(i++, c.createArrayOf("text", users));
        ps.setArray(i++, c.createArrayOf("text", servers));
        ps.setArray(i++, c.createArrayOf("text", values));
        ps.setArray(i++, c.createArrayOf("text", eventIds));
        ps.setArray(i++, c.createArrayOf("text", senders));
        ps.setLong(i++, advance.newStateVersion());
        ps.setString(i, roomId);
    }

    private static Array text(Connection c, Collection<String> values) throws SQLException {
        return c.createArrayOf("text", values.toArray());
    }
}
