package org.vestibule.join;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.vestibule.support.Eventually.eventually;
import static org.vestibule.support.TestNames.unique;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vestibule.event.Json;
import org.vestibule.event.StrictJsonParser;
import org.vestibule.federation.outbound.FederationClient;
import org.vestibule.federation.outbound.FederationErrorResponseException;
import org.vestibule.federation.outbound.FederationResponse;
import org.vestibule.room.EventGraph;
import org.vestibule.room.EventRecord;
import org.vestibule.room.PartialStateRooms;
import org.vestibule.support.FakeFederationServer;
import org.vestibule.support.FakeFederationServer.Reply;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;

/**
 * Partial-state joins (MSC3706) between two Vestibule servers over HTTPS on loopback: hs2, with
 * {@code vestibule.join.partial-state=true}, joins hs1's rooms, answers its client at once,
 * catches up with the full state in the background, and meanwhile accepts events from members
 * whose member events the resident left out.
 */
class PartialStateJoinIntegrationTests {

    static TestHomeservers servers;
    static MatrixClient hs1;
    static MatrixClient hs2;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(2, i -> i == 1 ? new String[] {"--vestibule.join.partial-state=true"}
                : new String[0]);
        hs1 = new MatrixClient(servers.get(0).clientBaseUrl());
        hs2 = new MatrixClient(servers.get(1).clientBaseUrl());
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    @Test
    void asksForOmittedMembersAndFailsOverFromAnAnswerWithoutServersInRoom() {
        User alice = hs1.register(unique("alice"));
        String room = roomWithMembers(alice, hs1Members(2), "Fake resident");
        FederationClient asHs2 = servers.get(1).bean(FederationClient.class);
        String real = servers.get(0).serverName();
        try (FakeFederationServer fake = FakeFederationServer.start()) {
            // The fake relays to the real resident, then drops servers_in_room from the partial answer.
            fake.onPrefix("/_matrix/federation/v1/make_join/", r -> relay(() -> asHs2.get(real, r.uri())));
            fake.onPrefix("/_matrix/federation/v2/send_join/", r -> {
                Map<String, Object> event = StrictJsonParser.parseObject(r.body(), StrictJsonParser.Limits.REQUEST);
                Reply reply = relay(() -> asHs2.put(real, r.uri(), event));
                Map<String, Object> answer = Json.mutableCopy(StrictJsonParser.parseObject(reply.body(),
                        StrictJsonParser.Limits.RESPONSE));
                assertThat(answer).containsEntry("members_omitted", true);
                answer.remove("servers_in_room");
                return Reply.json(200, answer);
            });
            User bob = hs2.register(unique("bob"));
            hs2.join(bob, room, fake.serverName(), real).expect(200);

            List<String> sendJoins = fake.requests().stream().map(FakeFederationServer.Recorded::uri)
                    .filter(u -> u.startsWith("/_matrix/federation/v2/send_join/")).toList();
            assertThat(sendJoins).hasSize(1);
            assertThat(sendJoins.get(0)).endsWith("?omit_members=true");
            awaitFullState(alice, bob, room);
            messagesFlowBothWays(alice, bob, room);
        }
    }

    @FunctionalInterface
    interface Call {
        FederationResponse run();
    }

    static Reply relay(Call call) {
        try {
            return new Reply(200, Map.of("Content-Type", "application/json"), call.run().body());
        } catch (FederationErrorResponseException e) {
            return new Reply(e.status(), Map.of("Content-Type", "application/json"), e.body());
        }
    }


    static boolean partial(String room) {
        return servers.get(1).bean(PartialStateRooms.class).isPartial(room);
    }

    /** A public room on hs1 with alice and {@code others} more hs1 members. */
    static String roomWithMembers(User alice, List<User> members, String name) {
        Map<String, Object> body = new HashMap<>(Map.of("preset", "public_chat"));
        if (name != null) {
            body.put("name", name);
        }
        String room = hs1.createRoom(alice, body);
        for (User m : members) {
            hs1.join(m, room).expect(200);
        }
        return room;
    }

    static List<User> hs1Members(int n) {
        List<User> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(hs1.register(unique("member" + i + "x")));
        }
        return out;
    }

    /** The room's current state as (type, state_key) → event ID, as a client of the server sees it. */
    @SuppressWarnings("unchecked")
    static Map<List<String>, String> state(MatrixClient client, User user, String room) {
        MatrixClient.Response r = client.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/state",
                user.accessToken()).expect(200);
        Map<List<String>, String> out = new HashMap<>();
        for (Object o : (List<Object>) r.body().get("_list")) {
            Map<String, Object> e = (Map<String, Object>) o;
            out.put(List.of((String) e.get("type"), (String) e.get("state_key")), (String) e.get("event_id"));
        }
        return out;
    }

    /** Whether hs2 holds the event in the room's graph, accepted (not an outlier, not rejected). */
    static boolean acceptedOnHs2(String eventId) {
        return servers.get(1).bean(EventGraph.class).record(eventId)
                .filter(r -> !r.outlier() && !r.rejected() && !r.softFailed()).isPresent();
    }

    static boolean acceptedOnHs1(String eventId) {
        return servers.get(0).bean(EventGraph.class).record(eventId)
                .filter(r -> !r.outlier() && !r.rejected()).map(EventRecord::eventId).isPresent();
    }

    /** hs2 ends with exactly hs1's members and state, its flag cleared. */
    static void awaitFullState(User alice, User bob, String room) {
        eventually("the partial-state flag of " + room + " cleared on hs2", () -> partial(room) ? null : true);
        Map<String, Object> expected = hs1.joinedMembers(alice, room);
        eventually("hs2's joined members equal to hs1's", () ->
                hs2.joinedMembers(bob, room).keySet().equals(expected.keySet()) ? true : null);
        eventually("hs2's current state equal to hs1's", () ->
                state(hs2, bob, room).equals(state(hs1, alice, room)) ? true : null);
    }

    static void messagesFlowBothWays(User alice, User bob, String room) {
        String fromHs1 = hs1.sendMessage(alice, room, "hello from hs1").expect(200).string("event_id");
        eventually("hs1's message accepted on hs2", () -> acceptedOnHs2(fromHs1) ? true : null);
        String fromHs2 = hs2.sendMessage(bob, room, "hello from hs2").expect(200).string("event_id");
        eventually("hs2's message accepted on hs1", () -> acceptedOnHs1(fromHs2) ? true : null);
    }

    @Test
    void joinsNamedAndUnnamedRoomsWithPartialStateThenCatchesUp() {
        User alice = hs1.register(unique("alice"));
        List<User> members = hs1Members(5);
        for (String name : new String[] {"Partial state", null}) {
            String room = roomWithMembers(alice, members, name);
            User bob = hs2.register(unique("bob"));

            MatrixClient.Response joined = hs2.join(bob, room, servers.get(0).serverName());
            assertThat(joined.status()).as(joined.raw()).isEqualTo(200);
            assertThat(joined.string("room_id")).isEqualTo(room);

            awaitFullState(alice, bob, room);
            assertThat(hs2.joinedMembers(bob, room)).hasSize(members.size() + 2)
                    .containsKeys(alice.userId(), bob.userId(), members.get(4).userId());
            messagesFlowBothWays(alice, bob, room);
            // A state change after the resync lands on the full state on both sides.
            hs1.sendState(alice, room, "m.room.topic", "", Map.of("topic", "after the resync")).expect(200);
            eventually("the topic on hs2", () -> state(hs2, bob, room).equals(state(hs1, alice, room))
                    && "after the resync".equals(hs2.getState(bob, room, "m.room.topic", "").body().get("topic"))
                    ? true : null);
        }
    }

    @Test
    void acceptsEventsOfOmittedMembersWhileStillPartial() {
        User alice = hs1.register(unique("alice"));
        List<User> members = hs1Members(3);
        String room = roomWithMembers(alice, members, "Held resync");
        User bob = hs2.register(unique("bob"));
        User carol = members.get(1);

        PartialStateResync resync = servers.get(1).bean(PartialStateResync.class);
        CountDownLatch held = new CountDownLatch(1);
        resync.holdUntil(held);
        try {
            hs2.join(bob, room, servers.get(0).serverName()).expect(200);
            assertThat(partial(room)).isTrue();
            // The resident left carol's member event out: hs2 does not know she is in the room yet.
            assertThat(hs2.joinedMembers(bob, room)).containsKey(bob.userId()).doesNotContainKey(carol.userId());

            String fromCarol = hs1.sendMessage(carol, room, "hello from an omitted member").expect(200).string("event_id");
            eventually("carol's message accepted on hs2 while partial", () -> acceptedOnHs2(fromCarol) ? true : null);
            assertThat(partial(room)).isTrue();

            // hs2's own events reach hs1, named in servers_in_room, though hs2 sees no hs1 member yet.
            String fromBob = hs2.sendMessage(bob, room, "hello while partial").expect(200).string("event_id");
            eventually("bob's message accepted on hs1", () -> acceptedOnHs1(fromBob) ? true : null);

            // State changes while partial, by members hs2 has not seen: the resync must keep them on top of the full state.
            User erin = members.get(2);
            hs1.leave(erin, room).expect(200);
            User frank = hs1.register(unique("frank"));
            hs1.join(frank, room).expect(200);
            String topic = hs1.sendState(alice, room, "m.room.topic", "", Map.of("topic", "while partial"))
                    .expect(200).string("event_id");
            eventually("the changes while partial accepted on hs2", () -> acceptedOnHs2(topic)
                    && hs2.joinedMembers(bob, room).containsKey(frank.userId()) ? true : null);
            assertThat(partial(room)).isTrue();

            // hs2 hands out no state while its own is partial, and is no resident to join through.
            assertThatThrownBy(() -> servers.get(0).bean(FederationClient.class).get(servers.get(1).serverName(),
                    "/_matrix/federation/v1/state_ids/" + FederationClient.pathSegment(room) + "?event_id="
                            + FederationClient.pathSegment(fromBob)))
                    .isInstanceOfSatisfying(FederationErrorResponseException.class, e -> {
                        assertThat(e.status()).isEqualTo(404);
                        assertThat(e.errcode()).isEqualTo("M_NOT_FOUND");
                    });
            User dave = hs1.register(unique("dave"));
            assertThatThrownBy(() -> servers.get(0).bean(FederationClient.class).get(servers.get(1).serverName(),
                    "/_matrix/federation/v1/make_join/" + FederationClient.pathSegment(room) + "/"
                            + FederationClient.pathSegment(dave.userId()) + "?ver=10"))
                    .isInstanceOfSatisfying(FederationErrorResponseException.class, e -> {
                        assertThat(e.status()).isEqualTo(404);
                        assertThat(e.errcode()).isEqualTo("M_NOT_FOUND");
                    });
        } finally {
            resync.holdUntil(null);
            held.countDown();
        }
        awaitFullState(alice, bob, room);
        assertThat(hs2.joinedMembers(bob, room)).containsKeys(carol.userId(), members.get(0).userId())
                .doesNotContainKey(members.get(2).userId());
        assertThat(hs2.getState(bob, room, "m.room.topic", "").body()).containsEntry("topic", "while partial");
        messagesFlowBothWays(alice, bob, room);
        // Events from hs1 members that build on what arrived while partial are accepted against the full state.
        String later = hs1.sendMessage(carol, room, "after the resync").expect(200).string("event_id");
        eventually("carol's later message accepted on hs2", () -> acceptedOnHs2(later) ? true : null);
    }

    @Test
    void aClientThatSyncedWhilePartialIsSentTheWholeStateOnceItIsIn() {
        User alice = hs1.register(unique("alice"));
        List<User> members = hs1Members(2);
        String room = roomWithMembers(alice, members, "Synced while partial");
        User bob = hs2.register(unique("bob"));
        PartialStateResync resync = servers.get(1).bean(PartialStateResync.class);
        CountDownLatch held = new CountDownLatch(1);
        resync.holdUntil(held);
        String since;
        try {
            hs2.join(bob, room, servers.get(0).serverName()).expect(200);
            Map<String, Object> first = hs2.get("/_matrix/client/v3/sync", bob.accessToken()).expect(200).body();
            assertThat(membersSynced(first, room)).contains(bob.userId()).doesNotContain(members.get(0).userId());
            since = (String) first.get("next_batch");
        } finally {
            resync.holdUntil(null);
            held.countDown();
        }
        awaitFullState(alice, bob, room);
        // No timeline event marks the resync; the next incremental sync carries the room's whole state.
        Map<String, Object> next = hs2.get("/_matrix/client/v3/sync?timeout=0&since=" + since, bob.accessToken())
                .expect(200).body();
        assertThat(membersSynced(next, room)).contains(alice.userId(), members.get(0).userId(),
                members.get(1).userId(), bob.userId());
        // And only once: a sync after that has nothing new for the room.
        Map<String, Object> after = hs2.get("/_matrix/client/v3/sync?timeout=0&since=" + next.get("next_batch"),
                bob.accessToken()).expect(200).body();
        assertThat(membersSynced(after, room)).isEmpty();
    }

    /** The member state keys of a room's state and timeline in a sync answer. */
    @SuppressWarnings("unchecked")
    private static Set<String> membersSynced(Map<String, Object> sync, String room) {
        Map<String, Object> joined = (Map<String, Object>) ((Map<String, Object>) sync.get("rooms")).get("join");
        Map<String, Object> section = (Map<String, Object>) joined.get(room);
        Set<String> members = new HashSet<>();
        if (section == null) {
            return members;
        }
        for (String part : List.of("state", "timeline")) {
            for (Object e : (List<Object>) ((Map<String, Object>) section.get(part)).get("events")) {
                Map<String, Object> event = (Map<String, Object>) e;
                if ("m.room.member".equals(event.get("type"))) {
                    members.add((String) event.get("state_key"));
                }
            }
        }
        return members;
    }
}
