package org.vestibule.room;

import java.util.Collection;
import java.util.List;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.PreparedStatementSetter;
import org.springframework.stereotype.Component;

/**
 * Stored events looked up by a set of IDs in one statement bound to a text array. A JPQL
 * {@code in ?1} is translated to SQL again for every list length (Hibernate does not cache that
 * plan), which cost more than the query itself on the send_join path.
 */
@Component
class EventRows {

    /** The state groups before and after a stored event; both null for an outlier. */
    record StateGroupsOf(String eventId, Long stateBefore, Long stateAfter) {}

    /** An event's JSON as stored, with its room (for the room version). */
    record StoredJson(String eventId, String roomId, byte[] json) {}

    private final JdbcTemplate jdbc;

    EventRows(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    List<EventPlacement> placements(Collection<String> eventIds) {
        if (eventIds.isEmpty()) {
            return List.of();
        }
        return jdbc.query("select event_id, outlier, state_after from events where event_id = any(?)", ids(eventIds),
                (rs, i) -> new EventPlacement(rs.getString(1), rs.getBoolean(2), rs.getObject(3, Long.class)));
    }

    List<StateGroupsOf> stateGroups(Collection<String> eventIds) {
        if (eventIds.isEmpty()) {
            return List.of();
        }
        return jdbc.query("select event_id, state_before, state_after from events where event_id = any(?)",
                ids(eventIds), (rs, i) -> new StateGroupsOf(rs.getString(1), rs.getObject(2, Long.class),
                        rs.getObject(3, Long.class)));
    }

    List<String> knownIds(Collection<String> eventIds) {
        if (eventIds.isEmpty()) {
            return List.of();
        }
        return jdbc.query("select event_id from events where event_id = any(?)", ids(eventIds),
                (rs, i) -> rs.getString(1));
    }

    List<StoredJson> json(Collection<String> eventIds) {
        if (eventIds.isEmpty()) {
            return List.of();
        }
        return jdbc.query("select event_id, room_id, json from events where event_id = any(?)", ids(eventIds),
                (rs, i) -> new StoredJson(rs.getString(1), rs.getString(2), rs.getBytes(3)));
    }

    private static PreparedStatementSetter ids(Collection<String> eventIds) {
        return ps -> ps.setArray(1, ps.getConnection().createArrayOf("text", eventIds.toArray()));
    }
}
