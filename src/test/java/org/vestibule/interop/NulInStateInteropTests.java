package org.vestibule.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.interop.Interop.synapseUser;
import static org.vestibule.interop.Interop.vestibuleUser;
import static org.vestibule.support.Eventually.eventually;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.vestibule.interop.Interop.Member;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.TestHomeservers;

/**
 * State keys and types with U+0000 in them, which Synapse on SQLite stores and PostgreSQL's text
 * columns cannot: a Synapse room with them was a 500 on our side after Synapse had taken the join.
 * Each side's such room is joined from the other, and every slot reads back exactly.
 */
@DisplayName("U+0000 in state keys")
class NulInStateInteropTests {

    static final List<String> KEYS = List.of("\u0000", "\u0001", "\u00010", "a\u0000\u0001b", "");

    static Synapse synapse;
    static TestHomeservers servers;

    @BeforeAll
    static void start() {
        synapse = Synapse.get();
        servers = Interop.vestibule(1, i -> new String[0]);
    }

    @AfterAll
    static void stop() {
        if (servers != null) {
            servers.close();
        }
    }

    /** A room whose initial state has one m.test slot per key (content n = its index) and one odd type. */
    static Map<String, Object> roomWithOddSlots(Map<String, Object> expected) {
        List<Map<String, Object>> initial = new ArrayList<>();
        for (int i = 0; i < KEYS.size(); i++) {
            initial.add(Map.of("type", "m.test", "state_key", KEYS.get(i), "content", Map.of("n", (long) i)));
            expected.put("m.test|" + KEYS.get(i), (long) i);
        }
        initial.add(Map.of("type", "m.te\u0000st", "state_key", "x", "content", Map.of("n", 99L)));
        expected.put("m.te\u0000st|x", 99L);
        return Map.of("preset", "public_chat", "room_version", "10", "initial_state", initial);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> oddSlots(Member member, String roomId) {
        MatrixClient.Response r = member.client().roomState(member.user(), roomId);
        Map<String, Object> slots = new TreeMap<>();
        if (r.status() != 200) {
            return slots;
        }
        for (Map<String, Object> event : (List<Map<String, Object>>) r.body().get("_list")) {
            if (((String) event.get("type")).startsWith("m.te")) {
                slots.put(event.get("type") + "|" + event.get("state_key"), ((Map<?, ?>) event.get("content")).get("n"));
            }
        }
        return slots;
    }

    @Test
    void vestibuleJoinsASynapseRoomWithThemAndTakesMoreOverSend() {
        Member bob = synapseUser(synapse, "bob");
        Member alice = vestibuleUser(servers.get(0), "alice");
        Map<String, Object> expected = new TreeMap<>();
        String room = bob.createRoom(roomWithOddSlots(expected));
        assertThat(oddSlots(bob, room)).isEqualTo(expected);

        alice.joins(room, bob.server());
        eventually("Vestibule holding every slot of the Synapse room", () ->
                oddSlots(alice, room).equals(expected) ? true : null);

        // After the join, one more over /send.
        bob.setState(room, "m.test", "later\u0000", Map.of("n", 7L));
        expected.put("m.test|later\u0000", 7L);
        eventually("Vestibule holding the slot sent afterwards", () ->
                oddSlots(alice, room).equals(expected) ? true : null);
        assertThat(bob.joinedMembers(room)).containsKeys(alice.id(), bob.id());
    }

    @Test
    void synapseJoinsAVestibuleRoomWithThem() {
        Member alice = vestibuleUser(servers.get(0), "alice");
        Member bob = synapseUser(synapse, "bob");
        Map<String, Object> expected = new TreeMap<>();
        String room = alice.createRoom(roomWithOddSlots(expected));
        assertThat(oddSlots(alice, room)).isEqualTo(expected);

        bob.joins(room, alice.server());
        eventually("Synapse holding every slot of the Vestibule room", () ->
                oddSlots(bob, room).equals(expected) ? true : null);
        assertThat(alice.joinedMembers(room)).containsKeys(alice.id(), bob.id());
    }
}
