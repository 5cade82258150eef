package org.vestibule.room;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** Current memberships, for "is this user joined to room X" and "who is in room X". */
public interface RoomMemberships extends JpaRepository<RoomMembership, RoomMembership.Key> {

    @Query("select m from RoomMembership m where m.roomId = ?1 and m.userId = ?2")
    Optional<RoomMembership> find(String roomId, String userId);

    @Query("select m.membership from RoomMembership m where m.roomId = ?1 and m.userId = ?2")
    Optional<String> membershipOf(String roomId, String userId);

    @Query("select m from RoomMembership m where m.roomId = ?1 and m.membership = ?2")
    List<RoomMembership> findByRoomAndMembership(String roomId, String membership);

    @Query("select m from RoomMembership m where m.roomId = ?1")
    List<RoomMembership> findByRoom(String roomId);

    @Query("select m.roomId from RoomMembership m where m.userId = ?1 and m.membership = ?2")
    List<String> roomsOf(String userId, String membership);

    @Query("select m from RoomMembership m where m.userId = ?1")
    List<RoomMembership> findByUser(String userId);

    /** Whether the user is joined to any of the rooms. */
    @Query("select m.roomId from RoomMembership m where m.userId = ?1 and m.membership = 'join' and m.roomId in ?2")
    List<String> joinedAmong(String userId, Collection<String> roomIds);

    @Query("select distinct m.serverName from RoomMembership m where m.roomId = ?1 and m.membership = 'join'")
    List<String> joinedServers(String roomId);

    @Query("select count(m) > 0 from RoomMembership m where m.roomId = ?1 and m.serverName = ?2 and m.membership = 'join'")
    boolean isServerJoined(String roomId, String serverName);

    @Query("select m.userId from RoomMembership m where m.roomId = ?1 and m.serverName = ?2 and m.membership = 'join'")
    List<String> joinedUsersOf(String roomId, String serverName);

    /**
     * The room summary's heroes: up to 5 joined or invited members other than {@code except}, by
     * user ID (ordered as the primary key, so the planner walks it instead of sorting the room).
     */
    @Query(value = "select user_id from room_memberships where room_id = ?1 and membership in ('join', 'invite') "
            + "and user_id <> ?2 order by room_id, user_id limit 5", nativeQuery = true)
    List<String> heroes(String roomId, String except);

    /** Some user of the server joined to the room, if any. */
    @Query(value = "select user_id from room_memberships where room_id = ?1 and server_name = ?2 "
            + "and membership = 'join' limit 1", nativeQuery = true)
    Optional<String> anyJoinedUserOf(String roomId, String serverName);
}
