package org.vestibule.clientapi;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.ResultSetExtractor;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;
import org.vestibule.accounts.ClientUser;
import org.vestibule.auth.PowerLevels;
import org.vestibule.auth.ServerAcl;
import org.vestibule.auth.StateKey;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Identifiers;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.presence.Presence;
import org.vestibule.ratelimit.RateLimits;
import org.vestibule.room.EventGraph;
import org.vestibule.room.LocalEvents;
import org.vestibule.room.Redactions;
import org.vestibule.room.RoomMembership;
import org.vestibule.room.RoomMemberships;
import org.vestibule.room.RoomState;

/** What local users do in rooms through the client API, beyond joining. */
@Service
public class RoomActions {

    /** Memberships a kick ends: in the room, invited (the invite withdrawn) or knocking (the knock refused). */
    private static final Set<String> KICKABLE = Set.of("join", "invite", "knock");

    private final LocalEvents localEvents;
    private final EventGraph graph;
    private final RoomMemberships memberships;
    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final RateLimits limits;
    private final ServerKeyring keyring;
    private final Redactions redactions;
    private final Presence presence;
    private final RoomReaders readers;
    private final TransactionTemplate tx;

    RoomActions(LocalEvents localEvents, EventGraph graph, RoomMemberships memberships, JdbcTemplate jdbc, Clock clock,
                RateLimits limits, ServerKeyring keyring, Redactions redactions, Presence presence, RoomReaders readers,
                TransactionTemplate tx) {
        this.limits = limits;
        this.keyring = keyring;
        this.readers = readers;
        this.localEvents = localEvents;
        this.graph = graph;
        this.memberships = memberships;
        this.jdbc = jdbc;
        this.clock = clock;
        this.redactions = redactions;
        this.presence = presence;
        this.tx = tx;
    }

    /**
     * Sends a state event (counted by rc_message); member content never keeps a client-supplied
     * join_authorised_via_users_server, and a server ACL may not deny this server (as Synapse).
     */
    public Pdu sendState(ClientUser user, String roomId, String type, String stateKey, Map<String, Object> content) {
        requireKnownRoom(roomId);
        if (StateKey.SERVER_ACL.type().equals(type)) {
            requireAclAllowsUs(content);
        }
        limits.message(user.userId());
        Map<String, Object> c = content;
        if ("m.room.member".equals(type)) {
            // Only a resident's make_join may name an authoriser (Synapse strips it too; Complement checks).
            c = new LinkedHashMap<>(content);
            c.remove("join_authorised_via_users_server");
        }
        return localEvents.send(roomId, user.userId(), type, stateKey, c);
    }

    /** 400 for an m.room.server_acl content that would deny this server (Synapse refuses it too). */
    public void requireAclAllowsUs(Map<String, Object> content) {
        ServerAcl.fromContent(content).refusal(keyring.serverName()).ifPresent(why -> {
            throw MatrixException.invalidParam("This server ACL would deny this server, " + keyring.serverName()
                    + ", and so cut the room off from its own users: " + why);
        });
    }

    /** Sends a message event, once per (device, room, txnId); a new one is counted by rc_message. */
    public String sendMessage(ClientUser user, String roomId, String type, String txnId, Map<String, Object> content) {
        return tx.execute(status -> {
            List<String> existing = claimTransaction(user, roomId, txnId);
            if (!existing.isEmpty()) {
                return existing.get(0);
            }
            requireKnownRoom(roomId);
            limits.message(user.userId());
            Pdu event = localEvents.send(roomId, user.userId(), type, null, content);
            jdbc.update("insert into client_transactions (user_id, device_id, txn_id, room_id, event_id, created_ts) "
                    + "values (?, ?, ?, ?, ?, ?) on conflict do nothing", user.userId(), user.deviceId(), txnId, roomId,
                    event.eventId(), clock.millis());
            presence.active(user.userId()); // spec §Presence: sending a message is the pro-active event
            return event.eventId();
        });
    }

    /**
     * Redacts an event of the room, once per (device, room, txnId) (spec client-server §Redactions):
     * one's own event, or anyone's with the power level to redact.
     */
    public String redact(ClientUser user, String roomId, String eventId, String txnId, String reason) {
        return tx.execute(status -> {
            String key = "redact " + eventId + " " + txnId;
            List<String> existing = claimTransaction(user, roomId, key);
            if (!existing.isEmpty()) {
                return existing.get(0);
            }
            requireJoined(user, roomId);
            RoomState state = localEvents.snapshot(roomId).state();
            Pdu target = graph.event(eventId).filter(p -> roomId.equals(p.roomId()))
                    .orElseThrow(() -> MatrixException.notFound("Event " + eventId + " not found in " + roomId));
            if (!user.userId().equals(target.sender())) {
                RoomVersion version = target.roomVersion();
                PowerLevels levels = PowerLevels.fromState(version, graph.stateEvents(state,
                        List.of(StateKey.CREATE, StateKey.POWER_LEVELS)));
                if (levels.userLevel(user.userId()) < levels.redact()) {
                    throw MatrixException.forbidden("Your power level " + levels.userLevel(user.userId())
                            + " is below the redact level " + levels.redact() + " of " + roomId
                            + ": you may redact only your own events");
                }
            }
            limits.message(user.userId());
            Map<String, Object> content = new LinkedHashMap<>();
            if (reason != null) {
                content.put("reason", reason);
            }
            Pdu redaction = localEvents.sendRedaction(roomId, user.userId(), eventId, content);
            jdbc.update("insert into client_transactions (user_id, device_id, txn_id, room_id, event_id, created_ts) "
                    + "values (?, ?, ?, ?, ?, ?) on conflict do nothing", user.userId(), user.deviceId(), key, roomId,
                    redaction.eventId(), clock.millis());
            return redaction.eventId();
        });
    }

    /**
     * The event already sent for this (device, room, txnId), if any, once no other request with the
     * same key is sending: a client that retries while its first attempt is still in flight gets
     * that attempt's event, not a second one. The lock lasts until the caller's transaction ends.
     */
    private List<String> claimTransaction(ClientUser user, String roomId, String txnId) {
        String key = user.userId() + "\n" + user.deviceId() + "\n" + roomId + "\n" + txnId;
        jdbc.query("select pg_advisory_xact_lock(hashtextextended(?, 0))", (ResultSetExtractor<Void>) rs -> null, key);
        return jdbc.queryForList("select event_id from client_transactions where user_id = ? and device_id = ? and "
                + "room_id = ? and txn_id = ?", String.class, user.userId(), user.deviceId(), roomId, txnId);
    }

    /** Changes another user's membership (kick, ban, unban), counted by rc_message. */
    public Pdu setMembership(ClientUser user, String roomId, String target, String membership, String reason) {
        requireKnownRoom(roomId);
        if (!Identifiers.isUserId(target)) {
            throw MatrixException.invalidParam("'" + target + "' is not a valid user ID");
        }
        limits.message(user.userId());
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("membership", membership);
        if (reason != null) {
            content.put("reason", reason);
        }
        return localEvents.send(roomId, user.userId(), "m.room.member", target, content);
    }

    /**
     * Kick: only a user in the room, invited or knocking can be kicked (spec client-server §kick:
     * 403 when "the kickee is not currently in the room"); the auth rules alone would allow a leave
     * for anyone not banned.
     */
    public Pdu kick(ClientUser user, String roomId, String target, String reason) {
        requireKnownRoom(roomId);
        String current = memberships.membershipOf(roomId, target).orElse(null);
        if (current == null || !KICKABLE.contains(current)) {
            throw MatrixException.forbidden(target + " is not in " + roomId + " to be kicked ("
                    + (current == null ? "never a member" : "membership: " + current) + ")");
        }
        return setMembership(user, roomId, target, "leave", reason);
    }

    /** Unban: only a banned user can be unbanned (a plain leave would otherwise be a kick). */
    public Pdu unban(ClientUser user, String roomId, String target, String reason) {
        String current = memberships.membershipOf(roomId, target).orElse("leave");
        if (!"ban".equals(current)) {
            throw MatrixException.forbidden(target + " is not banned from " + roomId);
        }
        return setMembership(user, roomId, target, "leave", reason);
    }

    public void forget(ClientUser user, String roomId) {
        tx.executeWithoutResult(status -> {
            String current = memberships.membershipOf(roomId, user.userId()).orElse(null);
            if ("join".equals(current)) {
                throw new MatrixException(400, Errcode.UNKNOWN, "You must leave " + roomId + " before forgetting it");
            }
            jdbc.update("insert into forgotten_rooms (user_id, room_id) values (?, ?) on conflict do nothing",
                    user.userId(), roomId);
        });
    }

    /** The current state for a member; for one who left, the state when they left. */
    public List<Pdu> state(ClientUser user, String roomId) {
        RoomState state = visibleState(user, roomId);
        Map<String, StateKey> ids = new HashMap<>();
        state.forEach((k, id) -> ids.put(id, k));
        return new ArrayList<>(graph.events(ids.keySet()).values());
    }

    public Optional<Pdu> stateEvent(ClientUser user, String roomId, String type, String stateKey) {
        RoomState state = visibleState(user, roomId);
        String id = state.get(new StateKey(type, stateKey));
        return id == null ? Optional.empty() : graph.event(id).map(p -> redactions.asSeen(List.of(p)).get(0));
    }

    /** The room's member events: current for a member, as they were when they left for one who left. */
    public List<Pdu> members(ClientUser user, String roomId) {
        RoomState state = visibleState(user, roomId);
        List<String> ids = new ArrayList<>();
        state.forEach((key, id) -> {
            if ("m.room.member".equals(key.type())) {
                ids.add(id);
            }
        });
        return new ArrayList<>(graph.events(ids).values());
    }

    /** Joined members and their profiles, for a user joined now (spec: "You aren't a member of the room"). */
    public Map<String, Object> joinedMembers(ClientUser user, String roomId) {
        requireJoined(user, roomId);
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
     * room's current state events whatever the visibility, as /state shows them. A rejected event
     * is not the room's and no client sees it (spec server-server, Rejection).
     */
    public Pdu event(ClientUser user, String roomId, String eventId) {
        if (graph.roomVersion(roomId).isEmpty()) {
            throw notMember(roomId); // as for a room one was never in: the answer does not reveal which rooms exist
        }
        RoomReaders.Reader reader = readers.reader(user.userId(), roomId);
        Pdu event = graph.event(eventId).filter(p -> roomId.equals(p.roomId()) && !graph.isRejected(eventId))
                .orElseThrow(() -> MatrixException.notFound("Event " + eventId + " not found in " + roomId));
        boolean currentState = !reader.peeking() && event.isState()
                && "join".equals(memberships.membershipOf(roomId, user.userId()).orElse(null))
                && eventId.equals(localEvents.snapshot(roomId).state().get(StateKey.of(event)));
        if (!currentState && !readers.maySee(reader, event)) {
            throw MatrixException.notFound("Event " + eventId + " not found in " + roomId);
        }
        return event;
    }

    /**
     * The state a user may read (spec client-server, GET /rooms/{roomId}/state): the current state
     * when joined; when they left or were banned after being joined, the state as it was then.
     * Anyone else gets 403 whether or not the room exists, so the answer does not reveal it.
     */
    private RoomState visibleState(ClientUser user, String roomId) {
        RoomMembership m = memberships.find(roomId, user.userId()).orElseThrow(() -> notMember(roomId));
        switch (m.membership()) {
            case "join" -> {
                return localEvents.snapshot(roomId).state();
            }
            case "leave", "ban" -> {
                if (wasJoined(roomId, user.userId())) {
                    return graph.stateAfter(m.eventId()).orElseThrow(() -> notMember(roomId));
                }
                throw notMember(roomId);
            }
            default -> throw notMember(roomId);
        }
    }

    private void requireJoined(ClientUser user, String roomId) {
        if (!"join".equals(memberships.membershipOf(roomId, user.userId()).orElse(null))) {
            // The same words whether or not the room exists.
            throw MatrixException.forbidden("You are not joined to " + roomId);
        }
    }

    /** Whether the user was ever joined to the room: a left invitee or knocker was never a member. */
    private boolean wasJoined(String roomId, String userId) {
        List<String> ids = jdbc.queryForList("select event_id from events where room_id = ? and type = 'm.room.member' "
                + "and state_key = ? and not outlier and rejection_reason is null", String.class, roomId, userId);
        return graph.events(ids).values().stream().anyMatch(p -> "join".equals(p.membership().orElse(null)));
    }

    private static MatrixException notMember(String roomId) {
        return MatrixException.forbidden("You are not a member of " + roomId + " and were not joined to it before");
    }

    private void requireKnownRoom(String roomId) {
        if (graph.roomVersion(roomId).isEmpty()) {
            throw MatrixException.notFound("Unknown room " + roomId);
        }
    }
}
