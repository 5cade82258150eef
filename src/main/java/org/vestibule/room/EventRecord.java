package org.vestibule.room;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Transient;
import org.springframework.data.domain.Persistable;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;

/** A stored event: its canonical JSON plus the columns we query on, and where it sits in the graph. */
@Entity
@Table(name = "events")
public class EventRecord implements Persistable<String> {

    @Id
    @Column(name = "event_id")
    private String eventId;

    @Column(name = "room_id", nullable = false)
    private String roomId;

    @Column(name = "stream_ordering", insertable = false, updatable = false)
    private Long streamOrdering;

    @Column(name = "type", nullable = false)
    private String type;

    @Column(name = "state_key")
    private String stateKey;

    @Column(name = "sender", nullable = false)
    private String sender;

    @Column(name = "depth", nullable = false)
    private long depth;

    @Column(name = "origin_server_ts", nullable = false)
    private long originServerTs;

    @Column(name = "received_ts", nullable = false)
    private long receivedTs;

    @Column(name = "json", nullable = false)
    private byte[] json;

    @Column(name = "outlier", nullable = false)
    private boolean outlier;

    @Column(name = "rejection_reason")
    private String rejectionReason;

    @Column(name = "soft_failed", nullable = false)
    private boolean softFailed;

    @Column(name = "state_before")
    private Long stateBefore;

    @Column(name = "state_after")
    private Long stateAfter;

    @Transient
    private boolean isNew;

    protected EventRecord() {}

    EventRecord(Pdu pdu, long receivedTs) {
        this.eventId = pdu.eventId();
        this.roomId = pdu.roomId();
        this.type = DbText.encode(pdu.type());
        this.stateKey = DbText.encode(pdu.stateKey());
        this.sender = pdu.sender();
        this.depth = pdu.depth();
        this.originServerTs = pdu.originServerTs();
        this.receivedTs = receivedTs;
        this.json = pdu.canonicalBytes();
        this.isNew = true;
    }

    @Override
    public String getId() {
        return eventId;
    }

    @Override
    public boolean isNew() {
        return isNew;
    }

    public String eventId() {
        return eventId;
    }

    public String roomId() {
        return roomId;
    }

    public Long streamOrdering() {
        return streamOrdering;
    }

    public String type() {
        return DbText.decode(type);
    }

    public String stateKey() {
        return DbText.decode(stateKey);
    }

    public String sender() {
        return sender;
    }

    public long depth() {
        return depth;
    }

    public boolean outlier() {
        return outlier;
    }

    public String rejectionReason() {
        return rejectionReason;
    }

    public boolean rejected() {
        return rejectionReason != null;
    }

    public boolean softFailed() {
        return softFailed;
    }

    public Long stateBefore() {
        return stateBefore;
    }

    public Long stateAfter() {
        return stateAfter;
    }

    byte[] json() {
        return json;
    }

    public Pdu toPdu(RoomVersion version) {
        return Pdu.fromStorage(json, version, eventId);
    }

    void markOutlier(boolean outlier) {
        this.outlier = outlier;
    }

    void reject(String reason) {
        this.rejectionReason = reason;
    }

    void softFail() {
        this.softFailed = true;
    }

    void placeInGraph(Long stateBefore, Long stateAfter) {
        this.stateBefore = stateBefore;
        this.stateAfter = stateAfter;
        this.outlier = false;
    }
}
