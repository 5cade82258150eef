package org.vestibule.room;

import java.sql.Array;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/**
 * Rooms we joined with partial state (migration V11): flagged in the join's transaction, cleared
 * in the transaction that installs the full state. Both transactions also move the room's
 * state_version, so the flag is carried by the room's snapshot ({@link RoomSnapshot#partialState}),
 * which keeps make_join and sending free of a query; this table is where it is kept.
 */
@Repository
public class PartialStateRooms {

    /** A flagged room: our join, and the servers to fetch the full state from, the resident first. */
    public record Entry(String roomId, String joinEventId, List<String> servers, long createdTs) {}

    private final JdbcTemplate jdbc;

    PartialStateRooms(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** Flags a room; {@link EventPersister#persistJoin} does, with the join. */
    void flag(String roomId, String joinEventId, Collection<String> servers, long now) {
        jdbc.update(c -> {
            var ps = c.prepareStatement("insert into partial_state_rooms (room_id, join_event_id, servers, created_ts) "
                    + "values (?, ?, ?, ?) on conflict (room_id) do update set join_event_id = excluded.join_event_id, "
                    + "servers = excluded.servers, created_ts = excluded.created_ts");
            ps.setString(1, roomId);
            ps.setString(2, joinEventId);
            ps.setArray(3, c.createArrayOf("text", servers.toArray()));
            ps.setLong(4, now);
            return ps;
        });
    }

    public boolean isPartial(String roomId) {
        return Boolean.TRUE.equals(jdbc.queryForObject(
                "select exists (select 1 from partial_state_rooms where room_id = ?)", Boolean.class, roomId));
    }

    public Optional<Entry> find(String roomId) {
        return jdbc.query("select room_id, join_event_id, servers, created_ts from partial_state_rooms where room_id = ?",
                (rs, n) -> new Entry(rs.getString(1), rs.getString(2), strings(rs.getArray(3)), rs.getLong(4)), roomId)
                .stream().findFirst();
    }

    /** Every flagged room, oldest first (resumed at startup). */
    public List<Entry> all() {
        return jdbc.query("select room_id, join_event_id, servers, created_ts from partial_state_rooms order by created_ts",
                (rs, n) -> new Entry(rs.getString(1), rs.getString(2), strings(rs.getArray(3)), rs.getLong(4)));
    }

    /** Servers our events must reach besides those with joined members we know of; empty for a full-state room. */
    public List<String> extraServers(String roomId) {
        return find(roomId).map(Entry::servers).orElse(List.of());
    }

    /** Clears the flag; call in the transaction that installs the full state. */
    void clear(String roomId) {
        jdbc.update("delete from partial_state_rooms where room_id = ?", roomId);
    }

    private static List<String> strings(Array array) throws SQLException {
        return array == null ? List.of() : new ArrayList<>(Arrays.asList((String[]) array.getArray()));
    }
}
