package org.vestibule.clientapi;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.accounts.ClientProperties;
import org.vestibule.accounts.ClientUser;
import org.vestibule.directory.PublicRoomDirectory;
import org.vestibule.directory.RoomAliases;
import org.vestibule.error.Errcode;
import org.vestibule.error.JsonBody;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Identifiers;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.event.RoomVersions;
import org.vestibule.invite.Invites;
import org.vestibule.room.NewRoom;
import org.vestibule.room.RoomCreator;

/** Creating rooms, sending events, reading state and members (spec client-server §Rooms). */
@RestController
class RoomsController {

    private final RoomCreator creator;
    private final RoomActions actions;
    private final ClientProperties properties;
    private final RoomAliases aliases;
    private final Invites invites;
    private final ClientEventFormat eventFormat;
    private final PublicRoomDirectory directory;

    RoomsController(RoomCreator creator, RoomActions actions, ClientProperties properties, RoomAliases aliases,
                    Invites invites, ClientEventFormat eventFormat, PublicRoomDirectory directory) {
        this.creator = creator;
        this.actions = actions;
        this.properties = properties;
        this.aliases = aliases;
        this.invites = invites;
        this.eventFormat = eventFormat;
        this.directory = directory;
    }

    @PostMapping("/_matrix/client/{v:v3|r0}/createRoom")
    Map<String, Object> createRoom(ClientUser user, @RequestBody(required = false) byte[] raw) {
        JsonBody body = JsonBody.parse(raw);
        String versionId = body.string("room_version");
        RoomVersion version = RoomVersions.byId(versionId == null ? properties.defaultRoomVersion() : versionId)
                .orElseThrow(() -> new MatrixException(400, Errcode.UNSUPPORTED_ROOM_VERSION,
                        "Room version " + versionId + " is not supported; supported: " + RoomVersions.ids()));
        String visibility = body.string("visibility");
        String preset = body.string("preset");
        if (preset == null) {
            preset = "public".equals(visibility) ? "public_chat" : "private_chat";
        }
        if (!List.of("private_chat", "trusted_private_chat", "public_chat").contains(preset)) {
            throw new MatrixException(400, Errcode.BAD_JSON, "Unknown preset '" + preset + "'");
        }
        List<NewRoom.StateEvent> initialState = new ArrayList<>();
        for (Object o : body.list("initial_state")) {
            if (!(o instanceof Map<?, ?> m) || !(m.get("type") instanceof String type)
                    || !(m.get("content") instanceof Map<?, ?> content)) {
                throw new MatrixException(400, Errcode.BAD_JSON,
                        "initial_state entries must be objects with a string 'type' and an object 'content'");
            }
            Object stateKey = m.get("state_key");
            if (stateKey != null && !(stateKey instanceof String)) {
                throw new MatrixException(400, Errcode.BAD_JSON, "initial_state state_key must be a string");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> c = (Map<String, Object>) content;
            if ("m.room.server_acl".equals(type)) {
                actions.requireAclAllowsUs(c);
            }
            initialState.add(new NewRoom.StateEvent(type, stateKey == null ? "" : (String) stateKey, c));
        }
        List<String> invite = new ArrayList<>();
        for (Object o : body.list("invite")) {
            if (!(o instanceof String s) || !Identifiers.isUserId(s)) {
                throw new MatrixException(400, Errcode.INVALID_PARAM, "invite must list user IDs; '" + o + "' is not one");
            }
            invite.add(s);
        }
        String aliasName = body.string("room_alias_name");
        String alias = aliasName == null ? null : aliases.localAlias(aliasName);
        if (alias != null) {
            aliases.requireFree(alias);
        }
        NewRoom spec = new NewRoom(user.userId(), version, preset, body.object("creation_content"), initialState,
                body.object("power_level_content_override"), body.string("name"), body.string("topic"), alias, invite,
                body.bool("is_direct", false));
        invites.countInvitesAtCreation(user.userId(), invite);
        String roomId = creator.create(spec, id -> {
            if (alias != null) {
                aliases.createForNewRoom(alias, id, user.userId());
            }
        });
        if ("public".equals(visibility)) {
            directory.publish(roomId);
        }
        invites.inviteAtCreation(roomId, user.userId(), invite, spec.isDirect());
        return Map.of("room_id", roomId);
    }

    @PutMapping({"/_matrix/client/{v:v3|r0}/rooms/{roomId}/state/{eventType}/{stateKey}",
            "/_matrix/client/{v:v3|r0}/rooms/{roomId}/state/{eventType}",
            "/_matrix/client/{v:v3|r0}/rooms/{roomId}/state/{eventType}/"})
    Map<String, Object> putState(ClientUser user, @PathVariable String roomId, @PathVariable String eventType,
                                 @PathVariable(required = false) String stateKey, @RequestBody(required = false) byte[] raw) {
        Pdu event = actions.sendState(user, roomId, eventType, stateKey == null ? "" : stateKey, JsonBody.parse(raw).map());
        return Map.of("event_id", event.eventId());
    }

    @GetMapping({"/_matrix/client/{v:v3|r0}/rooms/{roomId}/state/{eventType}/{stateKey}",
            "/_matrix/client/{v:v3|r0}/rooms/{roomId}/state/{eventType}",
            "/_matrix/client/{v:v3|r0}/rooms/{roomId}/state/{eventType}/"})
    Map<String, Object> getState(ClientUser user, @PathVariable String roomId, @PathVariable String eventType,
                                 @PathVariable(required = false) String stateKey,
                                 @RequestParam(required = false) String format) {
        String key = stateKey == null ? "" : stateKey;
        // format=event: the whole event as clients see it, not its content alone (spec v1.16).
        boolean whole = "event".equals(format);
        if (!whole && format != null && !"content".equals(format)) {
            throw MatrixException.invalidParam("format is 'content' or 'event', not '" + format + "'");
        }
        Pdu event = actions.stateEvent(user, roomId, eventType, key)
                .orElseThrow(() -> MatrixException.notFound("No " + eventType + " state with key '" + key + "' in " + roomId));
        return whole ? eventFormat.format(user, event) : event.content();
    }

    @GetMapping("/_matrix/client/{v:v3|r0}/rooms/{roomId}/state")
    List<Map<String, Object>> state(ClientUser user, @PathVariable String roomId) {
        return eventFormat.format(user, actions.state(user, roomId));
    }

    @PutMapping("/_matrix/client/{v:v3|r0}/rooms/{roomId}/send/{eventType}/{txnId}")
    Map<String, Object> send(ClientUser user, @PathVariable String roomId, @PathVariable String eventType,
                             @PathVariable String txnId, @RequestBody(required = false) byte[] raw) {
        return Map.of("event_id", actions.sendMessage(user, roomId, eventType, txnId, JsonBody.parse(raw).map()));
    }

    @PostMapping("/_matrix/client/{v:v3|r0}/rooms/{roomId}/{action:kick|ban|unban}")
    Map<String, Object> membership(ClientUser user, @PathVariable String roomId, @PathVariable String action,
                                   @RequestBody(required = false) byte[] raw) {
        JsonBody body = JsonBody.parse(raw);
        String target = body.requireString("user_id");
        String reason = body.string("reason");
        switch (action) {
            case "kick" -> actions.kick(user, roomId, target, reason);
            case "ban" -> actions.setMembership(user, roomId, target, "ban", reason);
            default -> actions.unban(user, roomId, target, reason);
        }
        return Map.of();
    }

    @PostMapping("/_matrix/client/{v:v3|r0}/rooms/{roomId}/forget")
    Map<String, Object> forget(ClientUser user, @PathVariable String roomId) {
        actions.forget(user, roomId);
        return Map.of();
    }

    @GetMapping("/_matrix/client/{v:v3|r0}/rooms/{roomId}/joined_members")
    Map<String, Object> joinedMembers(ClientUser user, @PathVariable String roomId) {
        return Map.of("joined", actions.joinedMembers(user, roomId));
    }

    @GetMapping("/_matrix/client/{v:v3|r0}/rooms/{roomId}/members")
    Map<String, Object> members(ClientUser user, @PathVariable String roomId,
                                @RequestParam(required = false) String membership,
                                @RequestParam(name = "not_membership", required = false) String notMembership) {
        List<Pdu> members = actions.members(user, roomId).stream()
                .filter(p -> membership == null || membership.equals(p.membership().orElse(null)))
                .filter(p -> notMembership == null || !notMembership.equals(p.membership().orElse(null))).toList();
        List<Map<String, Object>> chunk = eventFormat.format(user, members);
        return Map.of("chunk", chunk);
    }

    @GetMapping("/_matrix/client/{v:v3|r0}/joined_rooms")
    Map<String, Object> joinedRooms(ClientUser user) {
        return Map.of("joined_rooms", actions.joinedRooms(user));
    }

    @GetMapping("/_matrix/client/{v:v3|r0}/rooms/{roomId}/event/{eventId}")
    Map<String, Object> event(ClientUser user, @PathVariable String roomId, @PathVariable String eventId) {
        return eventFormat.format(user, actions.event(user, roomId, eventId));
    }

    @PutMapping("/_matrix/client/{v:v3|r0}/rooms/{roomId}/redact/{eventId}/{txnId}")
    Map<String, Object> redact(ClientUser user, @PathVariable String roomId, @PathVariable String eventId,
                               @PathVariable String txnId, @RequestBody(required = false) byte[] raw) {
        String reason = JsonBody.parse(raw, JsonBody.SMALL).string("reason");
        return Map.of("event_id", actions.redact(user, roomId, eventId, txnId, reason));
    }
}
