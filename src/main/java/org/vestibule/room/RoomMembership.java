package org.vestibule.room;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;

/** A user's current membership of a room, derived from the room's current state. */
@Entity
@Table(name = "room_memberships")
@IdClass(RoomMembership.Key.class)
public class RoomMembership {

    public record Key(String roomId, String userId) implements Serializable {
        public Key() {
            this(null, null);
        }
    }

    @Id
    @Column(name = "room_id")
    private String roomId;

    @Id
    @Column(name = "user_id")
    private String userId;

    @Column(name = "server_name", nullable = false)
    private String serverName;

    @Column(name = "membership", nullable = false)
    private String membership;

    @Column(name = "event_id", nullable = false)
    private String eventId;

    @Column(name = "sender", nullable = false)
    private String sender;

    protected RoomMembership() {}

    public String roomId() {
        return roomId;
    }

    public String userId() {
        return userId;
    }

    public String serverName() {
        return serverName;
    }

    public String membership() {
        return membership;
    }

    public String eventId() {
        return eventId;
    }

    public String sender() {
        return sender;
    }
}
