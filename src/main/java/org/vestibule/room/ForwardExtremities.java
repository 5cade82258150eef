package org.vestibule.room;

import java.util.List;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** A room's forward extremities: the events nothing points to yet, the prev_events of our next event. */
interface ForwardExtremities extends JpaRepository<EventRecord, String> {

    @Query(value = "select event_id from forward_extremities where room_id = ?1", nativeQuery = true)
    List<String> ofRoom(String roomId);
}
