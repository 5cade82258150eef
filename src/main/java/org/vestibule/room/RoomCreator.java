package org.vestibule.room;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;
import org.vestibule.auth.StateKey;
import org.vestibule.error.MatrixException;
import org.vestibule.event.EventSigning;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.keys.ServerKeyring;

/**
 * Creates rooms the way Synapse does, so that interop tests written against Synapse behave the
 * same: create, the creator's join, power levels, alias, join rules, history visibility, guest
 * access, initial state, name, topic, then invites.
 */
@Service
public class RoomCreator {

    private static final String LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

    private final LocalEvents localEvents;
    private final EventPersister persister;
    private final ServerKeyring keyring;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final TransactionTemplate tx;

    RoomCreator(LocalEvents localEvents, EventPersister persister, ServerKeyring keyring, Clock clock,
                TransactionTemplate tx) {
        this.localEvents = localEvents;
        this.persister = persister;
        this.keyring = keyring;
        this.clock = clock;
        this.tx = tx;
    }

    /** Creates the room and returns its ID. */
    public String create(NewRoom spec) {
        return create(spec, roomId -> {});
    }

    /**
     * Creates the room and returns its ID; {@code claims} runs in the same transaction once the
     * room's ID exists, before its events: what the room needs from elsewhere (its alias), so
     * that a claim refused at the last moment (another request took the alias) leaves no room.
     */
    public String create(NewRoom spec, Consumer<String> claims) {
        return tx.execute(status -> {
            RoomVersion version = spec.version();
            String creator = spec.creator();
            Pdu create = createEvent(spec);
            persister.createRoom(create);
            String roomId = create.roomId();
            claims.accept(roomId);

            Set<StateKey> overridden = new HashSet<>();
            for (NewRoom.StateEvent e : spec.initialState()) {
                overridden.add(new StateKey(e.type(), e.stateKey()));
            }
            localEvents.send(roomId, creator, "m.room.member", creator, Map.of("membership", "join"));
            localEvents.send(roomId, creator, "m.room.power_levels", "", powerLevels(spec));
            if (spec.canonicalAlias() != null) {
                localEvents.send(roomId, creator, "m.room.canonical_alias", "",
                        Map.of("alias", spec.canonicalAlias()));
            }
            String preset = spec.preset();
            sendUnlessOverridden(roomId, creator, overridden, StateKey.JOIN_RULES,
                    Map.of("join_rule", "public_chat".equals(preset) ? "public" : "invite"));
            sendUnlessOverridden(roomId, creator, overridden, StateKey.HISTORY_VISIBILITY,
                    Map.of("history_visibility", "shared"));
            sendUnlessOverridden(roomId, creator, overridden, new StateKey("m.room.guest_access", ""),
                    Map.of("guest_access", "public_chat".equals(preset) ? "forbidden" : "can_join"));
            for (NewRoom.StateEvent e : spec.initialState()) {
                localEvents.send(roomId, creator, e.type(), e.stateKey(), e.content());
            }
            if (spec.name() != null) {
                localEvents.send(roomId, creator, "m.room.name", "", Map.of("name", spec.name()));
            }
            if (spec.topic() != null) {
                // With its rich form (m.topic, spec v1.15), plain text being the only one we are given.
                localEvents.send(roomId, creator, "m.room.topic", "", Map.of("topic", spec.topic(),
                        "m.topic", Map.of("m.text", List.of(Map.of("mimetype", "text/plain", "body", spec.topic())))));
            }
            return roomId;
        });
    }

    private void sendUnlessOverridden(String roomId, String creator, Set<StateKey> overridden, StateKey key,
                                      Map<String, Object> content) {
        if (!overridden.contains(key)) {
            localEvents.send(roomId, creator, key.type(), key.stateKey(), content);
        }
    }

    private Pdu createEvent(NewRoom spec) {
        RoomVersion version = spec.version();
        Map<String, Object> content = new LinkedHashMap<>(spec.creationContent());
        content.put("room_version", version.id());
        if (!version.creatorIsSender()) {
            content.put("creator", spec.creator());
        } else {
            content.remove("creator");
        }
        Map<String, Object> event = new LinkedHashMap<>();
        if (!version.roomIdIsCreateEventHash()) {
            event.put("room_id", "!" + randomLetters(18) + ":" + keyring.serverName());
        }
        event.put("type", "m.room.create");
        event.put("state_key", "");
        event.put("sender", spec.creator());
        event.put("content", content);
        event.put("origin_server_ts", clock.millis());
        event.put("depth", 1L);
        event.put("prev_events", List.of());
        event.put("auth_events", List.of());
        if (version.hasExplicitEventIds()) {
            event.put("event_id", localEvents.newEventId());
        }
        Map<String, Object> signed = EventSigning.hashAndSign(event, version, keyring.serverName(), keyring.signingKey());
        return Pdu.fromJson(signed, version);
    }

    private Map<String, Object> powerLevels(NewRoom spec) {
        Map<String, Object> users = new LinkedHashMap<>();
        if (!spec.version().roomIdIsCreateEventHash()) {
            // From v12 creators have infinite power and must not be listed.
            users.put(spec.creator(), 100L);
        }
        if ("trusted_private_chat".equals(spec.preset())) {
            for (String invitee : spec.invite()) {
                users.put(invitee, 100L);
            }
        }
        Map<String, Object> events = new LinkedHashMap<>();
        events.put("m.room.name", 50L);
        events.put("m.room.power_levels", 100L);
        events.put("m.room.history_visibility", 100L);
        events.put("m.room.canonical_alias", 50L);
        events.put("m.room.avatar", 50L);
        events.put("m.room.tombstone", 100L);
        events.put("m.room.server_acl", 100L);
        events.put("m.room.encryption", 100L);
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("users", users);
        content.put("users_default", 0L);
        content.put("events", events);
        content.put("events_default", 0L);
        content.put("state_default", 50L);
        content.put("ban", 50L);
        content.put("kick", 50L);
        content.put("redact", 50L);
        // The private presets let every member invite (the spec's default when power levels name no
        // invite level); a public room asks 50, as Synapse's presets do and Complement's tests expect.
        content.put("invite", "public_chat".equals(spec.preset()) ? 50L : 0L);
        content.put("notifications", Map.of("room", 50L));
        content.putAll(Json.mutableCopy(spec.powerLevelContentOverride()));
        return content;
    }

    private String randomLetters(int n) {
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append(LETTERS.charAt(random.nextInt(LETTERS.length())));
        }
        return sb.toString();
    }

}
