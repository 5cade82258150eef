package org.vestibule.room;

import org.springframework.data.jpa.repository.JpaRepository;

/** The rooms we know. Writes to a room lock its row first with {@link RoomLock}. */
public interface Rooms extends JpaRepository<Room, String> {
}
