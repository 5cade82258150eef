package org.vestibule.room;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.springframework.stereotype.Component;
import org.vestibule.auth.ServerAcl;
import org.vestibule.auth.StateKey;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Pdu;

/**
 * Each room's server ACL, from its current state as the room state cache holds it, so asking
 * costs no query on a hot path such as make_join. An ACL is parsed once per {@code m.room.server_acl}
 * event (events never change), not per request.
 */
@Component
public class ServerAcls {

    private static final int CACHED_ACLS = 10_000;

    private final RoomStateCache cache;
    private final EventGraph graph;
    private final Map<String, ServerAcl> parsed = new ConcurrentHashMap<>();

    ServerAcls(RoomStateCache cache, EventGraph graph) {
        this.cache = cache;
        this.graph = graph;
    }

    /** The ACL in the room's current state; {@link ServerAcl#NONE} without one, or for a room we do not know. */
    public ServerAcl of(String roomId) {
        RoomSnapshot snapshot = cache.current(roomId);
        return snapshot == null ? ServerAcl.NONE : of(snapshot);
    }

    /** The ACL in a snapshot's state. */
    public ServerAcl of(RoomSnapshot snapshot) {
        return parsed(snapshot.state().get(StateKey.SERVER_ACL));
    }

    /**
     * The servers an event of ours may go to: those the room's current ACL allows, and for a new ACL
     * itself those the ACL it replaces allowed too, so that the servers it denies learn that they are.
     */
    public Predicate<String> relaysTo(Pdu event) {
        ServerAcl current = of(event.roomId());
        if (!event.isState() || !StateKey.SERVER_ACL.equals(StateKey.of(event))) {
            return current::allows;
        }
        ServerAcl replaced = graph.stateBefore(event.eventId()).map(state -> parsed(state.get(StateKey.SERVER_ACL)))
                .orElse(ServerAcl.NONE);
        return server -> current.allows(server) || replaced.allows(server);
    }

    private ServerAcl parsed(String eventId) {
        if (eventId == null) {
            return ServerAcl.NONE;
        }
        ServerAcl acl = parsed.get(eventId);
        if (acl == null) {
            acl = graph.event(eventId).map(Pdu::content).map(ServerAcl::fromContent).orElse(ServerAcl.NONE);
            if (parsed.size() >= CACHED_ACLS) {
                parsed.clear();
            }
            parsed.put(eventId, acl);
        }
        return acl;
    }

    public boolean allows(String server, String roomId) {
        return of(roomId).allows(server);
    }

    /** Why the room's ACL denies the server, as a peer or operator should read it; empty when it allows it. */
    public Optional<String> refusal(String server, String roomId) {
        return explained(of(roomId), server, roomId);
    }

    /** {@link #refusal(String, String)} as of a snapshot already in hand. */
    public Optional<String> refusal(String server, RoomSnapshot snapshot) {
        return explained(of(snapshot), server, snapshot.roomId());
    }

    private static Optional<String> explained(ServerAcl acl, String server, String roomId) {
        return acl.refusal(server).map(why -> "The server ACL (m.room.server_acl) of room " + roomId
                + " denies server " + server + ": " + why);
    }

    /**
     * 403 M_FORBIDDEN naming the ACL when it denies the server (spec server-server §Server Access
     * Control Lists; Synapse's check_server_matches_acl).
     */
    public void require(String server, String roomId) {
        Optional<String> refusal = refusal(server, roomId);
        if (refusal.isPresent()) {
            throw MatrixException.forbidden(refusal.get());
        }
    }
}
