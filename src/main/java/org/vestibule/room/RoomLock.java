package org.vestibule.room;

import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * A room's row, locked until the transaction ends (every write to a room takes it first), and
 * the state version that the write moves on from. Taken with plain JDBC: the same
 * {@code SELECT … FOR UPDATE} through a Hibernate query cost ~1 ms of CPU under C1, 8% of a send_join.
 */
final class RoomLock {

    private final String roomId;
    private long stateVersion;

    private RoomLock(String roomId, long stateVersion) {
        this.roomId = roomId;
        this.stateVersion = stateVersion;
    }

    /** Waits for the room's row lock; empty when we do not know the room. */
    static Optional<RoomLock> take(JdbcTemplate jdbc, String roomId) {
        List<Long> versions = jdbc.queryForList("select state_version from rooms where room_id = ? for update",
                Long.class, roomId);
        return versions.isEmpty() ? Optional.empty() : Optional.of(new RoomLock(roomId, versions.get(0)));
    }

    String roomId() {
        return roomId;
    }

    long stateVersion() {
        return stateVersion;
    }

    /** The next state version, which EventWrites.advance writes with the state it versions. */
    void bumpStateVersion() {
        stateVersion++;
    }
}
