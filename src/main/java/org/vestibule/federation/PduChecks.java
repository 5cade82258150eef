package org.vestibule.federation;

import java.util.Map;
import org.springframework.stereotype.Component;
import org.vestibule.event.EventFormatException;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.keys.EventSignatureVerifier;

/**
 * The first checks on a PDU from another server (spec server-server §Checks performed on receipt
 * of a PDU, steps 1–3): a valid event of its room version, the required signatures, and a content
 * hash that matches — an event whose hash does not match is kept in its redacted form.
 */
@Component
public class PduChecks {

    /** The outcome for one PDU. */
    public sealed interface Result {
        /** The event to go on with (redacted when its content hash did not match). */
        record Accepted(Pdu pdu, boolean redacted) implements Result {}

        /** Dropped, with the reason. */
        record Dropped(String eventId, String reason) implements Result {}
    }

    private final EventSignatureVerifier signatures;

    PduChecks(EventSignatureVerifier signatures) {
        this.signatures = signatures;
    }

    public Result check(Map<String, Object> json, RoomVersion version) {
        return check(json, version, null);
    }

    /**
     * Checks an event that {@code peer} sent us (in a transaction, a send_join answer, a fetch);
     * the peer may vouch for keys of our own name that we lost with a wiped database.
     */
    public Result check(Map<String, Object> json, RoomVersion version, String peer) {
        return check(json, version, peer, false);
    }

    /**
     * {@link #check(Map, RoomVersion, String)} for events of a /backfill answer, whose counts of
     * prev_events and auth_events are not limited (spec server-server, GET /backfill).
     */
    public Result checkHistory(Map<String, Object> json, RoomVersion version, String peer) {
        return check(json, version, peer, true);
    }

    private Result check(Map<String, Object> json, RoomVersion version, String peer, boolean history) {
        Pdu pdu;
        try {
            pdu = history ? Pdu.fromHistory(json, version) : Pdu.fromJson(json, version);
        } catch (EventFormatException e) {
            Object id = json.get("event_id");
            return new Result.Dropped(id instanceof String s ? s : "(unknown)", "invalid event: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            return new Result.Dropped("(unknown)", "invalid event: " + e.getMessage());
        }
        return check(pdu, peer);
    }

    public Result check(Pdu pdu) {
        return check(pdu, null);
    }

    public Result check(Pdu pdu, String peer) {
        EventSignatureVerifier.Result sig = signatures.verify(pdu, peer);
        if (sig instanceof EventSignatureVerifier.Result.Invalid invalid) {
            return new Result.Dropped(pdu.eventId(), "signature check failed: " + invalid.reason());
        }
        if (!pdu.contentHashMatches()) {
            return new Result.Accepted(pdu.redacted(), true);
        }
        return new Result.Accepted(pdu, false);
    }
}
