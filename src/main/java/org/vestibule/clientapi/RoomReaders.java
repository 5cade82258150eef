package org.vestibule.clientapi;

import java.util.List;
import org.springframework.stereotype.Component;
import org.vestibule.auth.HistoryVisibility.Setting;
import org.vestibule.auth.StateKey;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Pdu;
import org.vestibule.room.EventGraph;
import org.vestibule.room.EventVisibility;
import org.vestibule.room.LocalEvents;

/**
 * Who may read a room's history, and up to where (spec client-server §Room History Visibility):
 * a member up to now; someone who left or was banned after having joined, up to their leave; a
 * non-member only a room whose history is {@code world_readable} now, and then only events that
 * were {@code world_readable} when sent (spec §Room Previews). Which events each may see is the
 * visibility rule's ({@link EventVisibility}); /messages, /context and /event ask here first.
 */
@Component
class RoomReaders {

    /**
     * A user reading a room.
     *
     * @param upTo    the last stream position they may read (backfilled history lies below zero)
     * @param peeking not a member: only {@code world_readable} history
     */
    record Reader(String userId, long upTo, boolean peeking) {}

    private final StreamReads reads;
    private final EventGraph graph;
    private final EventVisibility visibility;
    private final LocalEvents localEvents;

    RoomReaders(StreamReads reads, EventGraph graph, EventVisibility visibility, LocalEvents localEvents) {
        this.reads = reads;
        this.graph = graph;
        this.visibility = visibility;
        this.localEvents = localEvents;
    }

    /** The user as a reader of the room, or 403 M_FORBIDDEN (the same for a room we do not know). */
    Reader reader(String userId, String roomId) {
        StreamReads.MembershipRow m = reads.membership(roomId, userId).orElse(null);
        if (m != null && "join".equals(m.membership())) {
            return new Reader(userId, reads.safePosition(), false);
        }
        if (m != null && ("leave".equals(m.membership()) || "ban".equals(m.membership()))) {
            String before = graph.stateBefore(m.eventId()).map(s -> s.get(StateKey.member(userId)))
                    .flatMap(graph::event).flatMap(Pdu::membership).orElse(null);
            if ("join".equals(before)) {
                return new Reader(userId, m.position(), false);
            }
        }
        boolean worldReadable = localEvents.findSnapshot(roomId)
                .map(s -> visibility.setting(s.state()) == Setting.WORLD_READABLE).orElse(false);
        if (worldReadable) {
            return new Reader(userId, reads.safePosition(), true);
        }
        throw MatrixException.forbidden("You are not a member of this room, and its history is not world_readable");
    }

    /** Whether the reader may see one event: within their bound, and allowed by history visibility. */
    boolean maySee(Reader reader, Pdu event) {
        long position = reads.position(event.eventId()).orElse(Long.MAX_VALUE);
        return position <= reader.upTo() && !visible(reader, List.of(event)).isEmpty();
    }

    /** Of these events, those the reader may see. */
    List<Pdu> visible(Reader reader, List<Pdu> events) {
        return visibility.visibleTo(reader.userId(), events, reader.peeking());
    }
}
