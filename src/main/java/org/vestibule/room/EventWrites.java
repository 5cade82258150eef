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

/**
 * The graph's writes on the hot path, each as one statement (data-modifying CTEs over arrays), so
 * storing an event costs a handful of round trips whatever the room's size. Reads go through the
 * JPA repositories.
 */
@Repository
class EventWrites {

    /** How an event sits in the graph once stored. */
    record Placement(boolean outlier, String rejection, boolean softFailed, Long stateBefore, Long stateAfter) {}

    /** One row of room_memberships. */
    record Membership(String userId, String membership, String eventId, String sender) {}

    private final JdbcTemplate jdbc;

    EventWrites(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Inserts an event with its prev and auth edges, or places an outlier we already had into the
     * graph.
     *
     * @return the redactions of the event that arrived before it and wait to be applied, read in
     *         the same round trip (under the room's lock, as redactions of it are stored)
     */
    List<String> store(Pdu event, long receivedTs, Placement placement, boolean alreadyStoredAsOutlier) {
        if (alreadyStoredAsOutlier) {
            jdbc.update("update events set outlier = ?, rejection_reason = ?, soft_failed = ?, state_before = ?, "
                            + "state_after = ? where event_id = ?", placement.outlier(), placement.rejection(),
                    placement.softFailed(), placement.stateBefore(), placement.stateAfter(), event.eventId());
            insertEdgesOnly(event);
            return jdbc.queryForList("select redaction_id from redactions where redacts = ? and not applied", String.class,
                    event.eventId());
        }
        return jdbc.execute((ConnectionCallback<List<String>>) c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    with e as (
                        insert into events (event_id, room_id, type, state_key, sender, depth, origin_server_ts,
                            received_ts, json, outlier, rejection_reason, soft_failed, state_before, state_after)
                        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning event_id),
                    p as (insert into event_edges (event_id, prev_event_id)
                        select e.event_id, unnest(?::text[]) from e on conflict do nothing),
                    a as (insert into event_auth_edges (event_id, auth_event_id)
                        select e.event_id, unnest(?::text[]) from e on conflict do nothing)
                    select r.redaction_id from redactions r join e on r.redacts = e.event_id where not r.applied""")) {
                bindEvent(ps, c, event, receivedTs, placement);
                List<String> waiting = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        waiting.add(rs.getString(1));
                    }
                }
                return waiting;
            }
        });
    }

    /**
     * Inserts a backfilled event (history older than what we held) with its edges, or places an
     * outlier we had: in the graph with its state, at a stream ordering below zero (migration V30),
     * so no sync shows it as news.
     */
    void storeBackfilled(Pdu event, long receivedTs, Placement placement, boolean alreadyStoredAsOutlier) {
        if (alreadyStoredAsOutlier) {
            jdbc.update("update events set outlier = false, rejection_reason = ?, soft_failed = false, state_before = ?, "
                    + "state_after = ?, stream_ordering = nextval('events_backfill_ordering_seq') where event_id = ?",
                    placement.rejection(), placement.stateBefore(), placement.stateAfter(), event.eventId());
            insertEdgesOnly(event);
            return;
        }
        jdbc.execute((ConnectionCallback<Void>) c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    with e as (
                        insert into events (event_id, room_id, type, state_key, sender, depth, origin_server_ts,
                            received_ts, json, outlier, rejection_reason, soft_failed, state_before, state_after,
                            stream_ordering)
                        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, nextval('events_backfill_ordering_seq'))
                        returning event_id),
                    p as (insert into event_edges (event_id, prev_event_id)
                        select e.event_id, unnest(?::text[]) from e on conflict do nothing)
                    insert into event_auth_edges (event_id, auth_event_id)
                        select e.event_id, unnest(?::text[]) from e on conflict do nothing""")) {
                bindEvent(ps, c, event, receivedTs, placement);
                ps.executeUpdate();
            }
            return null;
        });
    }

    private static void bindEvent(PreparedStatement ps, Connection c, Pdu event, long receivedTs, Placement placement)
            throws SQLException {
        int i = 1;
        ps.setString(i++, event.eventId());
        ps.setString(i++, event.roomId());
        ps.setString(i++, event.type());
        ps.setString(i++, event.stateKey());
        ps.setString(i++, event.sender());
        ps.setLong(i++, event.depth());
        ps.setLong(i++, event.originServerTs());
        ps.setLong(i++, receivedTs);
        ps.setBytes(i++, event.canonicalBytes());
        ps.setBoolean(i++, placement.outlier());
        ps.setString(i++, placement.rejection());
        ps.setBoolean(i++, placement.softFailed());
        ps.setObject(i++, placement.stateBefore());
        ps.setObject(i++, placement.stateAfter());
        ps.setArray(i++, text(c, event.prevEvents()));
        ps.setArray(i, text(c, event.authEvents()));
    }

    private void insertEdgesOnly(Pdu event) {
        jdbc.execute((ConnectionCallback<Void>) c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    with p as (insert into event_edges (event_id, prev_event_id)
                        select ?, unnest(?::text[]) on conflict do nothing)
                    insert into event_auth_edges (event_id, auth_event_id)
                        select ?, unnest(?::text[]) on conflict do nothing""")) {
                ps.setString(1, event.eventId());
                ps.setArray(2, text(c, event.prevEvents()));
                ps.setString(3, event.eventId());
                ps.setArray(4, text(c, event.authEvents()));
                ps.executeUpdate();
            }
            return null;
        });
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
            types[i] = p.type();
            keys[i] = p.stateKey();
            senders[i] = p.sender();
            depths[i] = p.depth();
            ts[i] = p.originServerTs();
            json[i] = p.canonicalBytes();
            rejection[i] = rejections.get(i);
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

    /**
     * Moves the room forward in one statement: extremities, current state, memberships and the
     * state version all change together.
     */
    void advance(String roomId, Collection<String> removedExtremities, Collection<String> addedExtremities,
                 boolean clearExtremities, Map<StateKey, String> stateChanges, List<Membership> membershipChanges,
                 List<String> membershipRemovals, long newStateVersion) {
        List<String> delTypes = new ArrayList<>();
        List<String> delKeys = new ArrayList<>();
        List<String> putTypes = new ArrayList<>();
        List<String> putKeys = new ArrayList<>();
        List<String> putIds = new ArrayList<>();
        stateChanges.forEach((k, v) -> {
            if (v == null) {
                delTypes.add(k.type());
                delKeys.add(k.stateKey());
            } else {
                putTypes.add(k.type());
                putKeys.add(k.stateKey());
                putIds.add(v);
            }
        });
        int m = membershipChanges.size();
        String[] users = new String[m];
        String[] servers = new String[m];
        String[] values = new String[m];
        String[] eventIds = new String[m];
        String[] senders = new String[m];
        for (int i = 0; i < m; i++) {
            Membership change = membershipChanges.get(i);
            users[i] = change.userId();
            servers[i] = Identifiers.serverOf(change.userId()).orElse("");
            values[i] = change.membership();
            eventIds[i] = change.eventId();
            senders[i] = change.sender();
        }
        jdbc.execute((ConnectionCallback<Void>) c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    with dx as (delete from forward_extremities where room_id = ? and (? or event_id = any(?::text[]))),
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
                            event_id = excluded.event_id, sender = excluded.sender)
                    update rooms set state_version = ? where room_id = ?""")) {
                int i = 1;
                ps.setString(i++, roomId);
                ps.setBoolean(i++, clearExtremities);
                ps.setArray(i++, text(c, removedExtremities));
                ps.setString(i++, roomId);
                ps.setArray(i++, text(c, addedExtremities));
                ps.setString(i++, roomId);
                ps.setArray(i++, text(c, delTypes));
                ps.setArray(i++, text(c, delKeys));
                ps.setString(i++, roomId);
                ps.setArray(i++, text(c, putTypes));
                ps.setArray(i++, text(c, putKeys));
                ps.setArray(i++, text(c, putIds));
                ps.setString(i++, roomId);
                ps.setArray(i++, text(c, membershipRemovals));
                ps.setString(i++, roomId);
                ps.setArray(i++, c.createArrayOf("text", users));
                ps.setArray(i++, c.createArrayOf("text", servers));
                ps.setArray(i++, c.createArrayOf("text", values));
                ps.setArray(i++, c.createArrayOf("text", eventIds));
                ps.setArray(i++, c.createArrayOf("text", senders));
                ps.setLong(i++, newStateVersion);
                ps.setString(i, roomId);
                ps.executeUpdate();
            }
            return null;
        });
    }

    private static Array text(Connection c, Collection<String> values) throws SQLException {
        return c.createArrayOf("text", values.toArray());
    }
}
