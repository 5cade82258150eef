package org.vestibule.room;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import org.springframework.stereotype.Service;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Identifiers;
import org.vestibule.event.Pdu;

/**
 * Reads of a room's history that other servers ask for: the state at an event, auth chains,
 * backfill and missing events. Each is bounded, and only servers in the room may ask. Events go
 * out as the asking server may have them ({@link EventVisibility#asSeenBy}): those its users could
 * not see, under the history visibility when they were sent, redacted.
 */
@Service
public class RoomHistory {

    /** The most events backfill or get_missing_events return at once. */
    public static final int MAX_EVENTS = 100;

    /** The state before an event and the auth chain of that state. */
    public record StateAtEvent(List<String> stateIds, List<String> authChainIds) {}

    private final EventGraph graph;
    private final RoomMemberships memberships;
    private final PartialStateRooms partialRooms;
    private final EventVisibility visibility;

    RoomHistory(EventGraph graph, RoomMemberships memberships, PartialStateRooms partialRooms,
                EventVisibility visibility) {
        this.visibility = visibility;
        this.graph = graph;
        this.memberships = memberships;
        this.partialRooms = partialRooms;
    }

    /**
     * Refuses (403) a server with no joined member in the room now nor at the given event; 404
     * for a room we do not know.
     */
    public void requireServerInRoom(String server, String roomId, String atEventId) {
        if (graph.roomVersion(roomId).isEmpty()) {
            throw MatrixException.notFound("Room " + roomId + " is unknown to this server");
        }
        if (memberships.isServerJoined(roomId, server)) {
            return;
        }
        // In a room we hold with partial state, the resident's servers_in_room stand in for the members we lack.
        if (partialRooms.extraServers(roomId).contains(server)) {
            return;
        }
        if (atEventId != null) {
            Optional<RoomState> state = graph.stateAfter(atEventId);
            if (state.isPresent() && serverJoinedIn(server, state.get())) {
                return;
            }
        }
        throw MatrixException.forbidden("Server " + server + " is not in room " + roomId);
    }

    private boolean serverJoinedIn(String server, RoomState state) {
        List<String> ids = new ArrayList<>();
        state.forEach((k, id) -> {
            if ("m.room.member".equals(k.type()) && server.equals(Identifiers.serverOf(k.stateKey()).orElse(null))) {
                ids.add(id);
            }
        });
        return graph.events(ids).values().stream().anyMatch(p -> "join".equals(p.membership().orElse(null)));
    }

    /** An event, as the server may have it (redacted when its users could not see it). */
    public Pdu eventFor(String server, Pdu event) {
        return visibility.asSeenBy(server, List.of(event)).get(0);
    }

    /** An event of the room, or 404. */
    public Pdu event(String roomId, String eventId) {
        return graph.event(eventId).filter(p -> roomId == null || roomId.equals(p.roomId()))
                .orElseThrow(() -> MatrixException.notFound("Event " + eventId + " is unknown to this server"));
    }

    /** The state before an event (spec: /state and /state_ids answer the state *before* it). */
    public StateAtEvent stateBefore(String roomId, String eventId) {
        event(roomId, eventId);
        if (partialRooms.isPartial(roomId)) {
            // Every state we hold in the room lacks the members the resident left out: 404 sends the asker elsewhere.
            throw MatrixException.notFound("This server is still fetching the full state of " + roomId);
        }
        RoomState state = graph.stateBefore(eventId).orElseThrow(() ->
                MatrixException.notFound("This server does not have the state at " + eventId));
        List<String> ids = new ArrayList<>();
        state.forEach((k, id) -> ids.add(id));
        return new StateAtEvent(ids, new ArrayList<>(graph.authChain(ids)));
    }

    /** The full auth chain of an event. */
    public List<String> authChain(String roomId, String eventId) {
        event(roomId, eventId);
        return new ArrayList<>(graph.authChain(List.of(eventId)));
    }

    /**
     * The given events and their predecessors, deepest first, up to {@code limit}, as the server
     * may have them.
     */
    public List<Pdu> backfill(String server, String roomId, Collection<String> from, int limit) {
        return visibility.asSeenBy(server, backfill(roomId, from, limit));
    }

    private List<Pdu> backfill(String roomId, Collection<String> from, int limit) {
        int max = Math.max(0, Math.min(limit, MAX_EVENTS));
        List<Pdu> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        PriorityQueue<Pdu> frontier = new PriorityQueue<>(
                Comparator.comparingLong(Pdu::depth).reversed().thenComparing(Pdu::eventId));
        graph.events(from).values().stream().filter(p -> roomId.equals(p.roomId())).forEach(p -> {
            if (seen.add(p.eventId())) {
                frontier.add(p);
            }
        });
        while (!frontier.isEmpty() && out.size() < max) {
            Pdu p = frontier.poll();
            out.add(p);
            for (Pdu prev : graph.events(p.prevEvents()).values()) {
                if (seen.add(prev.eventId())) {
                    frontier.add(prev);
                }
            }
        }
        return out;
    }

    /**
     * get_missing_events: events before {@code latest} back to (not including) {@code earliest},
     * no shallower than {@code minDepth}, at most {@code limit}, oldest first, as the server may
     * have them.
     */
    public List<Pdu> missingEvents(String server, String roomId, Collection<String> earliest, Collection<String> latest,
                                   int limit, long minDepth) {
        return visibility.asSeenBy(server, missingEvents(roomId, earliest, latest, limit, minDepth));
    }

    private List<Pdu> missingEvents(String roomId, Collection<String> earliest, Collection<String> latest, int limit,
                                    long minDepth) {
        int max = Math.max(0, Math.min(limit, MAX_EVENTS));
        Set<String> stop = new HashSet<>(earliest);
        Set<String> seen = new HashSet<>(latest);
        Deque<String> todo = new ArrayDeque<>();
        for (Pdu p : graph.events(latest).values()) {
            if (roomId.equals(p.roomId())) {
                todo.addAll(p.prevEvents());
            }
        }
        LinkedHashSet<Pdu> found = new LinkedHashSet<>();
        while (!todo.isEmpty() && found.size() < max) {
            String id = todo.poll();
            if (stop.contains(id) || !seen.add(id)) {
                continue;
            }
            Optional<Pdu> p = graph.event(id);
            if (p.isEmpty() || !roomId.equals(p.get().roomId()) || p.get().depth() < minDepth) {
                continue;
            }
            found.add(p.get());
            todo.addAll(p.get().prevEvents());
        }
        List<Pdu> ordered = new ArrayList<>(found);
        ordered.sort(Comparator.comparingLong(Pdu::depth).thenComparing(Pdu::eventId));
        return ordered;
    }

    public Map<String, Pdu> events(Collection<String> ids) {
        return graph.events(ids);
    }

}
