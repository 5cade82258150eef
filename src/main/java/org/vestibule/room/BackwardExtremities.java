package org.vestibule.room;

import java.util.Collection;
import java.util.List;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/**
 * Where a room's history we hold runs out (migration V30): events that events in the graph name as
 * prev_events but that we lack or hold only as outliers. The triggers of V30 keep the table as
 * events enter the graph; this reads it, and records backfills from a point that did not bring it.
 */
@Repository
public class BackwardExtremities {

    /**
     * A missing event, the depth of its deepest successor in the graph, and how often backfill
     * from it came back without it.
     */
    public record Extremity(String eventId, long depth, int attempts, Long lastAttemptTs) {}

    private final JdbcTemplate jdbc;

    BackwardExtremities(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** The room's extremities whose successors are deeper than {@code depth}, deepest first, at most {@code limit}. */
    public List<Extremity> deeperThan(String roomId, long depth, int limit) {
        return jdbc.query("select event_id, depth, attempts, last_attempt_ts from backward_extremities "
                        + "where room_id = ? and depth > ? order by depth desc, event_id limit ?",
                (rs, i) -> new Extremity(rs.getString(1), rs.getLong(2), rs.getInt(3), rs.getObject(4, Long.class)),
                roomId, depth, limit);
    }

    /** Whether history we lack ends at or below a depth (where a page that stops there could go on). */
    public boolean anyAtOrBelow(String roomId, long depth) {
        return Boolean.TRUE.equals(jdbc.queryForObject("select exists (select 1 from backward_extremities "
                + "where room_id = ? and depth <= ?)", Boolean.class, roomId, depth));
    }

    /** Counts a backfill from these points that did not bring them. */
    public void attempted(String roomId, Collection<String> eventIds, long now) {
        if (eventIds.isEmpty()) {
            return;
        }
        jdbc.update(c -> {
            var ps = c.prepareStatement("update backward_extremities set attempts = attempts + 1, last_attempt_ts = ? "
                    + "where room_id = ? and event_id = any(?)");
            ps.setLong(1, now);
            ps.setString(2, roomId);
            ps.setArray(3, c.createArrayOf("text", eventIds.toArray()));
            return ps;
        });
    }

    /** The events in the graph that name this one among their prev_events. */
    public List<String> successors(String roomId, String eventId) {
        return jdbc.queryForList("select d.event_id from event_edges d join events e on e.event_id = d.event_id "
                + "where d.prev_event_id = ? and e.room_id = ? and not e.outlier", String.class, eventId, roomId);
    }

    /** How many backfilled events the room holds (they sit below stream ordering zero). */
    public long backfilledCount(String roomId) {
        Long n = jdbc.queryForObject("select count(*) from events where room_id = ? and stream_ordering < 0",
                Long.class, roomId);
        return n == null ? 0 : n;
    }
}
