package org.vestibule.room;

import java.util.List;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** Stored events. */
public interface Events extends JpaRepository<EventRecord, String> {

    // Lookups by a set of IDs are in EventRows (one SQL statement bound to an array).

    @Query(value = "select auth_event_id from event_auth_edges where event_id = ?1", nativeQuery = true)
    List<String> authEventIds(String eventId);

    @Query(value = "select prev_event_id from event_edges where event_id = ?1", nativeQuery = true)
    List<String> prevEventIds(String eventId);

    /** Events of a room after a stream position, oldest first, excluding outliers and rejected ones. */
    @Query("select e from EventRecord e where e.roomId = ?1 and e.streamOrdering > ?2 and e.outlier = false "
            + "and e.rejectionReason is null order by e.streamOrdering")
    List<EventRecord> timelineAfter(String roomId, long streamOrdering, Pageable page);

    @Query("select max(e.streamOrdering) from EventRecord e")
    Long maxStreamOrdering();
}
