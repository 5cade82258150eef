package org.vestibule.clientapi;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.vestibule.accounts.ClientUser;
import org.vestibule.auth.StateKey;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Identifiers;
import org.vestibule.event.Pdu;
import org.vestibule.room.EventGraph;
import org.vestibule.room.LocalEvents;
import org.vestibule.room.RoomMembership;
import org.vestibule.room.RoomMemberships;
import org.vestibule.room.RoomSnapshot;
import org.vestibule.room.RoomState;

/** What local users do in rooms through the client API, beyond joining. */
@Service
public class RoomActions {

    private final LocalEvents localEvents;
    private final EventGraph graph;
    private final RoomMemberships memberships;
    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final RoomReaders readers;

    RoomActions(LocalEvents localEvents, EventGraph graph, RoomMemberships memberships, JdbcTemplate jdbc, Clock clock,
                RoomReaders readers) {
        this.readers = readers;
        this.localEvents = localEvents;
        this.graph = graph;
        this.memberships = memberships;
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** Sends a state event; member content never keeps a client-supplied join_authorised_via_users_server. */
    public Pdu sendState(ClientUser user, String roomId, String type, String stateKey, Map<String, Object> content) {
        requireKnownRoom(roomId);
        Map<String, Object> c = content;
        if ("m.room.member".equals(type)) {
            // Only a resident's make_join may name an authoriser (Synapse strips it too; Complement checks).
            c = new LinkedHashMap<>(content);
            c.remove("join_authorised_via_users_server");
        }
        return localEvents.send(roomId, user.userId(), type, stateKey, c);
    }

    /** Sends a message event, once per (device, room, txnId). */
    @Transactional
    public String sendMessage(ClientUser user, String roomId, String type, String txnId, Map<String, Object> content) {
        List<String> existing = jdbc.queryForList("select event_id from client_transactions where user_id = ? and "
                + "device_id = ? and room_id = ? and txn_id = ?", String.class, user.userId(), user.deviceId(), roomId, txnId);
        if (!existing.isEmpty()) {
            return existing.get(0);
        }
        requireKnownRoom(roomId);
        Pdu event = localEvents.send(roomId, user.userId(), type, null, content);
        jdbc.update("insert into client_transactions (user_id, device_id, txn_id, room_id, event_id, created_ts) "
                + "values (?, ?, ?, ?, ?, ?) on conflict do nothing", user.userId(), user.deviceId(), txnId, roomId,
                event.eventId(), clock.millis());
        return event.eventId();
    }

    /** Changes another user's membership (kick, ban, unban). */
    public Pdu setMembership(ClientUser user, String roomId, String target, String membership, String reason) {
        requireKnownRoom(roomId);
        if (!Identifiers.isUserId(target)) {
            throw MatrixException.invalidParam("'" + target + "' is not a valid user ID");
        }
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("membership", membership);
        if (reason != null) {
            content.put("reason", reason);
        }
        return localEvents.send(roomId, user.userId(), "m.room.member", target, content);
    }

    /** Unban: only a banned user can be unbanned (a plain leave would otherwise be a kick). */
    public Pdu unban(ClientUser user, String roomId, String target, String reason) {
        String current = memberships.membershipOf(roomId, target).orElse("leave");
        if (!"ban".equals(current)) {
            throw MatrixException.forbidden(target + " is not banned from " + roomId);
        }
        return setMembership(user, roomId, target, "leave", reason);
    }

    @Transactional
    public void forget(ClientUser user, String roomId) {
        String current = memberships.membershipOf(roomId, user.userId()).orElse(null);
        if ("join".equals(current)) {
            throw new MatrixException(400, Errcode.UNKNOWN, "You must leave " + roomId + " before forgetting it");
        }
        jdbc.update("insert into forgotten_rooms (user_id, room_id) values (?, ?) on conflict do nothing",
                user.userId(), roomId);
    }

    /** The current state, for a user joined to the room. */
    public List<Pdu> state(ClientUser user, String roomId) {
        RoomState state = visibleState(user, roomId);
        Map<String, StateKey> ids = new HashMap<>();
        state.forEach((k, id) -> ids.put(id, k));
        return new ArrayList<>(graph.events(ids.keySet()).values());
    }

    public Optional<Pdu> stateEvent(ClientUser user, String roomId, String type, String stateKey) {
        RoomState state = visibleState(user, roomId);
        String id = state.get(new StateKey(type, stateKey));
        return id == null ? Optional.empty() : graph.event(id);
    }

    /** The room's members' current member events, for a user in the room. */
    public List<Pdu> members(ClientUser user, String roomId) {
        visibleState(user, roomId);
        List<String> ids = memberships.findByRoom(roomId).stream().map(RoomMembership::eventId).toList();
        return new ArrayList<>(graph.events(ids).values());
    }

    public Map<String, Object> joinedMembers(ClientUser user, String roomId) {
        visibleState(user, roomId);
        List<RoomMembership> joined = memberships.findByRoomAndMembership(roomId, "join");
        Map<String, Pdu> events = graph.events(joined.stream().map(RoomMembership::eventId).toList());
        Map<String, Object> out = new LinkedHashMap<>();
        for (RoomMembership m : joined) {
            Pdu e = events.get(m.eventId());
            Map<String, Object> profile = new LinkedHashMap<>();
            profile.put("display_name", e == null ? null : e.content().get("displayname"));
            profile.put("avatar_url", e == null ? null : e.content().get("avatar_url"));
            out.put(m.userId(), profile);
        }
        return out;
    }

    public List<String> joinedRooms(ClientUser user) {
        return memberships.roomsOf(user.userId(), "join");
    }

    /**
     * An event of a room, for a user who may read the room and see the event (history
     * visibility); 404 alike for an unknown event and one they may not see. A member sees the
     * room's current state events whatever the visibility, as /state shows them.
     */
    public Pdu event(ClientUser user, String roomId, String eventId) {
        requireKnownRoom(roomId);
        RoomReaders.Reader reader = readers.reader(user.userId(), roomId);
        Pdu event = graph.event(eventId).filter(p -> roomId.equals(p.roomId()))
                .orElseThrow(() -> MatrixException.notFound("Event " + eventId + " not found in " + roomId));
        boolean currentState = !reader.peeking() && event.isState()
                && "join".equals(memberships.membershipOf(roomId, user.userId()).orElse(null))
                && eventId.equals(localEvents.snapshot(roomId).state().get(StateKey.of(event)));
        if (!currentState && !readers.maySee(reader, event)) {
            throw MatrixException.notFound("Event " + eventId + " not found in " + roomId);
        }
        return event;
    }

    private RoomState visibleState(ClientUser user, String roomId) {
        requireKnownRoom(roomId);
        if (!"join".equals(memberships.membershipOf(roomId, user.userId()).orElse(null))) {
            throw MatrixException.forbidden("You are not joined to " + roomId);
        }
        RoomSnapshot snapshot = localEvents.snapshot(roomId);
        return snapshot.state();
    }

    private void requireKnownRoom(String roomId) {
        if (graph.roomVersion(roomId).isEmpty()) {
            throw MatrixException.notFound("Unknown room " + roomId);
        }
    }
}
