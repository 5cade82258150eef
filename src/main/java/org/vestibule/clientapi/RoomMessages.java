package org.vestibule.clientapi;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Service;
import org.vestibule.accounts.ClientUser;
import org.vestibule.event.Pdu;
import org.vestibule.history.Backfill;
import org.vestibule.room.EventGraph;

/**
 * {@code GET /rooms/{roomId}/messages} (spec client-server §Getting events for a room): a room's
 * events in topological order (depth, then stream ordering, as Synapse), from /sync's tokens or
 * the topological ones pages hand out ({@link PageToken}). Going back past the earliest event we
 * hold in a room joined over federation backfills its older history from the servers in it
 * ({@link Backfill}); what the user sees of it all is the history visibility rule's.
 */
@Service
public class RoomMessages {

    static final int DEFAULT_LIMIT = 10;
    static final int MAX_LIMIT = 1_000;

    /** A parsed request; {@code from} and {@code to} may be null. */
    public record Request(PageToken from, PageToken to, boolean backwards, int limit, RoomEventFilter filter) {}

    /**
     * Events of one page, nearest the start first, and whether the room's history goes on past
     * them (more held, or more to backfill).
     */
    record Page(List<StreamReads.Placed> rows, boolean more) {}

    private final StreamReads reads;
    private final EventGraph graph;
    private final SyncService sync;
    private final RoomReaders readers;
    private final Backfill backfill;

    RoomMessages(StreamReads reads, EventGraph graph, SyncService sync, RoomReaders readers, Backfill backfill) {
        this.reads = reads;
        this.graph = graph;
        this.sync = sync;
        this.readers = readers;
        this.backfill = backfill;
    }

    public Map<String, Object> messages(ClientUser user, String roomId, Request request) {
        RoomReaders.Reader reader = readers.reader(user.userId(), roomId);
        int limit = request.filter().limit(request.limit());
        Page page = request.backwards()
                ? backwards(roomId, reader, request.from(), request.to(), request.filter(), limit)
                : forwards(roomId, reader, request.from(), request.to(), request.filter(), limit);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("chunk", sync.format(user, readers.visible(reader, events(page.rows()))));
        // Without from, backwards starts at the newest event the reader may see, forwards at the room's first.
        PageToken start = request.from() != null ? request.from()
                : request.backwards() ? new PageToken.Stream(StreamToken.at(reader.upTo()))
                : page.rows().isEmpty() ? new PageToken.Stream(StreamToken.at(0))
                : PageToken.before(page.rows().get(0).depth(), page.rows().get(0).position());
        body.put("start", start.toString());
        if (page.more() && !page.rows().isEmpty()) {
            // End: just past the last event given, in the direction of travel; absent when nothing is left.
            StreamReads.Placed last = page.rows().get(page.rows().size() - 1);
            body.put("end", (request.backwards() ? PageToken.before(last.depth(), last.position())
                    : PageToken.after(last.depth(), last.position())).toString());
        }
        return body;
    }

    /**
     * Up to {@code limit} events before {@code from}, newest first. When the page reaches below
     * what we hold, or history we lack ends within it, backfill first (bounded per page), then
     * read again: the page is served with whatever came, never held up by a failing peer.
     */
    Page backwards(String roomId, RoomReaders.Reader reader, PageToken from, PageToken to, RoomEventFilter filter,
                   int limit) {
        List<StreamReads.Placed> rows = reads.page(roomId, from, to, true, reader.upTo(), filter, limit + 1);
        // Going back to a token of the past (to) stays within what we held then.
        if (to == null && limit > 0) {
            Backfill.Budget budget = backfill.budget();
            while (!budget.spent()) {
                long floor = rows.size() > limit ? rows.get(limit - 1).depth() : Long.MIN_VALUE;
                if (backfill.fill(roomId, floor, budget) == 0) {
                    break;
                }
                rows = reads.page(roomId, from, to, true, reader.upTo(), filter, limit + 1);
            }
        }
        boolean more = rows.size() > limit;
        List<StreamReads.Placed> chunk = List.copyOf(rows.subList(0, Math.min(limit, rows.size())));
        return new Page(chunk, more || (to == null && backfill.mayHaveMore(roomId)));
    }

    /** Up to {@code limit} events after {@code from}, oldest first. */
    Page forwards(String roomId, RoomReaders.Reader reader, PageToken from, PageToken to, RoomEventFilter filter,
                  int limit) {
        List<StreamReads.Placed> rows = reads.page(roomId, from, to, false, reader.upTo(), filter, limit + 1);
        return new Page(List.copyOf(rows.subList(0, Math.min(limit, rows.size()))), rows.size() > limit);
    }

    /** The events of rows, in their order. */
    List<Pdu> events(List<StreamReads.Placed> rows) {
        Map<String, Pdu> pdus = graph.events(rows.stream().map(StreamReads.Placed::eventId).toList());
        List<Pdu> events = new ArrayList<>(rows.size());
        for (StreamReads.Placed p : rows) {
            Pdu pdu = pdus.get(p.eventId());
            if (pdu != null) {
                events.add(pdu);
            }
        }
        return events;
    }
}
