package org.vestibule.clientapi;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Service;
import org.vestibule.accounts.ClientUser;
import org.vestibule.auth.StateKey;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Pdu;
import org.vestibule.room.EventGraph;

/**
 * {@code GET /rooms/{roomId}/messages} (spec client-server §Getting events for a room): a room's
 * events by stream ordering, with the same tokens as /sync. Members see the whole history (as
 * under {@code shared} history visibility); someone who left sees it up to their leave.
 */
@Service
public class RoomMessages {

    static final int DEFAULT_LIMIT = 10;
    static final int MAX_LIMIT = 1_000;

    /** A parsed request; {@code from} and {@code to} may be null. */
    public record Request(StreamToken from, StreamToken to, boolean backwards, int limit) {}

    private final StreamReads reads;
    private final EventGraph graph;
    private final SyncService sync;

    RoomMessages(StreamReads reads, EventGraph graph, SyncService sync) {
        this.reads = reads;
        this.graph = graph;
        this.sync = sync;
    }

    public Map<String, Object> messages(ClientUser user, String roomId, Request request) {
        long bound = visibleUpTo(user.userId(), roomId);
        List<StreamReads.Positioned> rows;
        long start;
        if (request.backwards()) {
            start = request.from() == null ? bound : Math.min(request.from().position(), bound);
            long stop = request.to() == null ? 0 : request.to().position();
            rows = reads.newestFirst(roomId, stop, start, request.limit() + 1);
        } else {
            start = request.from() == null ? 0 : request.from().position();
            long stop = request.to() == null ? bound : Math.min(request.to().position(), bound);
            rows = reads.oldestFirst(roomId, start, stop, request.limit() + 1);
        }
        boolean more = rows.size() > request.limit();
        List<StreamReads.Positioned> chunk = rows.subList(0, Math.min(request.limit(), rows.size()));
        Map<String, Pdu> pdus = graph.events(chunk.stream().map(StreamReads.Positioned::eventId).toList());
        List<Pdu> events = new ArrayList<>();
        for (StreamReads.Positioned p : chunk) {
            Pdu pdu = pdus.get(p.eventId());
            if (pdu != null) {
                events.add(pdu);
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("chunk", sync.format(user, events));
        StreamToken startToken = request.from() != null ? request.from() : StreamToken.at(start);
        body.put("start", startToken.toString());
        if (more) {
            // End: just past the last event given, in the direction of travel; absent when nothing is left.
            long end = chunk.isEmpty() ? start
                    : request.backwards() ? chunk.get(chunk.size() - 1).position() - 1 : chunk.get(chunk.size() - 1).position();
            body.put("end", StreamToken.at(end).toString());
        }
        return body;
    }

    /** The last stream position the user may read in the room, or 403. */
    private long visibleUpTo(String userId, String roomId) {
        StreamReads.MembershipRow m = reads.membership(roomId, userId).orElseThrow(RoomMessages::notMember);
        switch (m.membership()) {
            case "join" -> {
                return reads.safePosition();
            }
            case "leave", "ban" -> {
                String before = graph.stateBefore(m.eventId()).map(s -> s.get(StateKey.member(userId)))
                        .flatMap(graph::event).flatMap(Pdu::membership).orElse(null);
                if ("join".equals(before)) {
                    return m.position();
                }
                throw notMember();
            }
            default -> throw notMember();
        }
    }

    private static MatrixException notMember() {
        return MatrixException.forbidden("You are not a member of this room");
    }
}
