package org.vestibule.room;

import java.util.List;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** The current_state table: each room's resolved state, one row per slot. */
interface CurrentStateEntries extends JpaRepository<EventRecord, String> {

    /** Rows of (type, state_key, event_id). */
    @Query(value = "select type, state_key, event_id from current_state where room_id = ?1", nativeQuery = true)
    List<Object[]> ofRoom(String roomId);
}
