package org.vestibule.room;

import java.util.List;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;

/** The current_state table: each room's resolved state, one row per slot. */
interface CurrentStateEntries extends JpaRepository<EventRecord, String> {

    /** Rows of (type, state_key, event_id). */
    @Query(value = "select type, state_key, event_id from current_state where room_id = ?1", nativeQuery = true)
    List<Object[]> ofRoom(String roomId);

    @Modifying
    @Query(value = "insert into current_state (room_id, type, state_key, event_id) values (?1, ?2, ?3, ?4) "
            + "on conflict (room_id, type, state_key) do update set event_id = excluded.event_id", nativeQuery = true)
    void put(String roomId, String type, String stateKey, String eventId);

    @Modifying
    @Query(value = "delete from current_state where room_id = ?1 and type = ?2 and state_key = ?3", nativeQuery = true)
    void remove(String roomId, String type, String stateKey);
}
