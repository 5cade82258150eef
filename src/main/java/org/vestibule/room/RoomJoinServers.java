package org.vestibule.room;

import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/**
 * The resident each remote join of ours went through (migration V30): the server that gave us the
 * room, and so the first to ask for its history.
 */
@Repository
public class RoomJoinServers {

    private final JdbcTemplate jdbc;

    RoomJoinServers(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** Records the server a join went through; call in the join's transaction. */
    public void record(String roomId, String server, String joinEventId, long now) {
        jdbc.update("insert into room_join_servers (room_id, server_name, join_event_id, joined_ts) values (?, ?, ?, ?) "
                + "on conflict (room_id) do update set server_name = excluded.server_name, "
                + "join_event_id = excluded.join_event_id, joined_ts = excluded.joined_ts",
                roomId, server, joinEventId, now);
    }

    public Optional<String> find(String roomId) {
        return jdbc.queryForList("select server_name from room_join_servers where room_id = ?", String.class, roomId)
                .stream().findFirst();
    }
}
