package org.vestibule.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.event.RoomVersions;
import org.vestibule.event.StrictJsonParser;

/**
 * The rules against real rooms made by Synapse 1.160 (versions 1, 3, 6, 9, 10, 11, 12): every
 * event Synapse accepted passes ours, against its auth events and, for the remote join, against
 * the state Synapse had at the join.
 */
class SynapseVectorsAuthTests {

    /** One room of the vectors. */
    record Room(RoomVersion version, String joinRule, Map<String, Pdu> events, List<String> stateAtJoin,
                List<String> authChainAtJoin) {
        @Override
        public String toString() {
            return "v" + version.id() + " " + joinRule;
        }

        Pdu create() {
            return events.values().stream().filter(e -> e.isStateOf("m.room.create", "")).findFirst().orElseThrow();
        }

        Pdu remoteJoin() {
            Set<String> state = new HashSet<>(stateAtJoin);
            return events.values().stream().filter(e -> "join".equals(e.membership().orElse(null))
                    && !state.contains(e.eventId()) && !e.sender().endsWith(":localhost:8448")).findFirst().orElseThrow();
        }
    }

    static Stream<Room> rooms() {
        Map<String, Object> vectors;
        try (InputStream in = SynapseVectorsAuthTests.class.getResourceAsStream("/vectors/synapse-1.160-rooms.json")) {
            vectors = StrictJsonParser.parseObject(in.readAllBytes(), new StrictJsonParser.Limits(1 << 24, 64));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        List<Room> rooms = new ArrayList<>();
        for (Object r : Json.list(vectors, "rooms")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> room = (Map<String, Object>) r;
            RoomVersion version = RoomVersions.byId((String) room.get("room_version")).orElseThrow();
            Map<String, Pdu> events = new LinkedHashMap<>();
            for (Object e : Json.list(room, "events")) {
                @SuppressWarnings("unchecked")
                Map<String, Object> entry = (Map<String, Object>) e;
                Pdu pdu = Pdu.fromJson(Json.object(entry, "pdu"), version);
                events.put(pdu.eventId(), pdu);
            }
            rooms.add(new Room(version, (String) room.get("join_rule"), events, strings(room, "state_ids_at_join"),
                    strings(room, "auth_chain_ids_at_join")));
        }
        return rooms.stream();
    }

    private static List<String> strings(Map<String, Object> map, String key) {
        return Json.list(map, key).stream().map(String.class::cast).toList();
    }

    private static Map<StateKey, Pdu> stateOf(Room room, List<String> ids) {
        Map<StateKey, Pdu> state = new HashMap<>();
        for (String id : ids) {
            Pdu pdu = room.events().get(id);
            if (pdu != null && pdu.isState()) {
                state.put(StateKey.of(pdu), pdu);
            }
        }
        if (room.version().roomIdIsCreateEventHash()) {
            state.put(StateKey.CREATE, room.create());
        }
        return state;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rooms")
    void everyEventPassesAgainstItsAuthEvents(Room room) {
        for (Pdu event : room.events().values()) {
            List<Pdu> auth = event.authEvents().stream().map(room.events()::get).toList();
            assertThat(auth).as(event.toString()).doesNotContainNull();
            assertThat(AuthRules.checkAuthEventsList(event, auth)).as(event.toString()).isEqualTo(AuthResult.ALLOWED);
            assertThat(AuthRules.check(event, stateOf(room, event.authEvents()))).as(event.toString())
                    .isEqualTo(AuthResult.ALLOWED);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rooms")
    void remoteJoinPassesAgainstTheStateAtTheJoin(Room room) {
        Pdu join = room.remoteJoin();
        Map<StateKey, Pdu> state = stateOf(room, room.stateAtJoin());
        assertThat(AuthRules.check(join, state)).isEqualTo(AuthResult.ALLOWED);
        // Without the authoriser's signature the restricted joins fail rule 4.2 (v12: 5.2).
        if (room.version().restricted() && join.content().containsKey("join_authorised_via_users_server")) {
            Map<String, Object> json = Json.mutableCopy(join.json());
            Json.object(json, "signatures").remove("localhost:8448");
            Pdu unsigned = Pdu.fromJson(json, room.version());
            assertThat(AuthRules.check(unsigned, state)).isInstanceOfSatisfying(AuthResult.Rejected.class,
                    r -> assertThat(r.rule()).endsWith(".2 signed by the authorising server"));
        }
        // The join's auth events are exactly the selection filled from that state.
        Set<String> selected = new HashSet<>();
        for (StateKey key : AuthEventSelection.select(join)) {
            if (state.containsKey(key)) {
                selected.add(state.get(key).eventId());
            }
        }
        assertThat(new HashSet<>(join.authEvents())).isEqualTo(selected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rooms")
    void authChainOfTheStateMatchesSynapses(Room room) {
        Set<String> ours = new HashSet<>(AuthChains.ids(room.stateAtJoin(), room.events()::get));
        if (room.version().roomIdIsCreateEventHash()) {
            // Synapse lists the create event too: its auth_event_ids() implies it from the room ID in v12.
            ours.add(room.create().eventId());
        }
        assertThat(ours).isEqualTo(new HashSet<>(room.authChainAtJoin()));
    }
}
