package org.vestibule.room;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Transient;
import org.springframework.data.domain.Persistable;

/** A room we know of: its ID, version, and the counter that tells caches whether they are current. */
@Entity
@Table(name = "rooms")
public class Room implements Persistable<String> {

    @Id
    @Column(name = "room_id")
    private String roomId;

    @Column(name = "room_version", nullable = false)
    private String roomVersion;

    @Column(name = "creator")
    private String creator;

    @Column(name = "created_ts", nullable = false)
    private long createdTs;

    @Column(name = "is_public", nullable = false)
    private boolean isPublic;

    // Written by EventWrites.advance in the same statement as the state it versions; read by RoomLock.
    @Column(name = "state_version", nullable = false, updatable = false)
    private long stateVersion;

    @Transient
    private boolean isNew;

    protected Room() {}

    Room(String roomId, String roomVersion, String creator, long createdTs) {
        this.roomId = roomId;
        this.roomVersion = roomVersion;
        this.creator = creator;
        this.createdTs = createdTs;
        this.isNew = true;
    }

    @Override
    public String getId() {
        return roomId;
    }

    @Override
    public boolean isNew() {
        return isNew;
    }

    public String roomId() {
        return roomId;
    }

    public String roomVersion() {
        return roomVersion;
    }

    public String creator() {
        return creator;
    }

    public boolean isPublic() {
        return isPublic;
    }

    void setPublic(boolean isPublic) {
        this.isPublic = isPublic;
    }
}
