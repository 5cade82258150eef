package org.vestibule.room;

import jakarta.persistence.LockModeType;
import java.util.Optional;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Lock;
import org.springframework.data.jpa.repository.Query;

/** The rooms we know. */
public interface Rooms extends JpaRepository<Room, String> {

    /** Locks the room's row until the transaction ends: every write to a room goes through here. */
    @Lock(LockModeType.PESSIMISTIC_WRITE)
    @Query("select r from Room r where r.roomId = ?1")
    Optional<Room> lockById(String roomId);
}
