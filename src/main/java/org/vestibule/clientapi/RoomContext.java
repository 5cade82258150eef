package org.vestibule.clientapi;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.stereotype.Service;
import org.vestibule.accounts.ClientUser;
import org.vestibule.auth.StateKey;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Pdu;
import org.vestibule.room.EventGraph;
import org.vestibule.room.RoomState;

/**
 * {@code GET /rooms/{roomId}/context/{eventId}} (spec client-server §Events, GET context): an
 * event with the events before and after it (half the limit before, the rest after, as Synapse),
 * tokens to page on from either end with /messages, and the state at the last event returned.
 * Going back backfills as /messages does; the filter applies to the events around and the state,
 * never to the event itself; history visibility to all of it.
 */
@Service
public class RoomContext {

    static final int DEFAULT_LIMIT = 10;
    static final int MAX_LIMIT = 100;

    private final StreamReads reads;
    private final EventGraph graph;
    private final RoomReaders readers;
    private final RoomMessages messages;
    private final SyncService sync;

    RoomContext(StreamReads reads, EventGraph graph, RoomReaders readers, RoomMessages messages, SyncService sync) {
        this.reads = reads;
        this.graph = graph;
        this.readers = readers;
        this.messages = messages;
        this.sync = sync;
    }

    public Map<String, Object> context(ClientUser user, String roomId, String eventId, int limit, RoomEventFilter filter) {
        RoomReaders.Reader reader = readers.reader(user.userId(), roomId);
        Pdu event = graph.event(eventId).filter(p -> roomId.equals(p.roomId()) && !graph.isRejected(eventId)).orElse(null);
        StreamReads.Placed at = event == null ? null : reads.placed(eventId).orElse(null);
        // Unknown, rejected, not in the graph, after the reader's leave, or not theirs to see: all the same 404.
        if (at == null || !readers.maySee(reader, event)) {
            throw MatrixException.notFound("Event " + eventId + " not found in " + roomId);
        }
        int total = filter.limit(limit);
        int beforeLimit = total / 2;
        RoomMessages.Page before = messages.backwards(roomId, reader, PageToken.before(at.depth(), at.position()), null,
                filter, beforeLimit);
        RoomMessages.Page after = messages.forwards(roomId, reader, PageToken.after(at.depth(), at.position()), null,
                filter, total - beforeLimit);
        List<Pdu> eventsBefore = readers.visible(reader, messages.events(before.rows()));
        List<Pdu> eventsAfter = readers.visible(reader, messages.events(after.rows()));

        StreamReads.Placed first = before.rows().isEmpty() ? at : before.rows().get(before.rows().size() - 1);
        StreamReads.Placed last = after.rows().isEmpty() ? at : after.rows().get(after.rows().size() - 1);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("start", PageToken.before(first.depth(), first.position()).toString());
        body.put("end", PageToken.after(last.depth(), last.position()).toString());
        body.put("events_before", sync.format(user, eventsBefore));
        body.put("event", sync.format(user, List.of(event)).get(0));
        body.put("events_after", sync.format(user, eventsAfter));
        body.put("state", sync.format(user, state(last.eventId(), filter, eventsBefore, event, eventsAfter)));
        return body;
    }

    /** The state after the last event returned; with lazy-loading, of the members only the senders shown. */
    private List<Pdu> state(String lastEventId, RoomEventFilter filter, List<Pdu> before, Pdu event, List<Pdu> after) {
        RoomState state = graph.stateAfter(lastEventId).orElse(RoomState.EMPTY);
        Set<String> senders = new HashSet<>();
        senders.add(event.sender());
        before.forEach(p -> senders.add(p.sender()));
        after.forEach(p -> senders.add(p.sender()));
        Map<String, StateKey> ids = new LinkedHashMap<>();
        state.forEach((k, id) -> {
            if (!filter.lazyLoadMembers() || !"m.room.member".equals(k.type()) || senders.contains(k.stateKey())) {
                ids.put(id, k);
            }
        });
        List<Pdu> events = new ArrayList<>();
        for (Pdu p : graph.events(ids.keySet()).values()) {
            if (filter.matches(p)) {
                events.add(p);
            }
        }
        events.sort(Comparator.comparing((Pdu p) -> ids.get(p.eventId())));
        return events;
    }
}
