package org.vestibule.join;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.Eventually.until;
import static org.vestibule.support.TestNames.unique;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.federation.outbound.FederationClient;
import org.vestibule.federation.outbound.FederationResponse;
import org.vestibule.room.EventGraph;
import org.vestibule.room.LocalEvents;
import org.vestibule.room.RoomSnapshot;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;

/**
 * Several of our users joining one room through its resident at once (found with Synapse: of 40
 * such joins, 14 answered 200 and were then missing from our own state, and others were a 500 on
 * the room's row). Synapse answers a later join with the state at that join's template, without
 * the joins we stored meanwhile: the answer must add to what we hold, not replace it.
 */
class ConcurrentRemoteJoinsIntegrationTests {

    static TestHomeservers servers;
    static MatrixClient hs1;
    static MatrixClient hs2;
    static User alice;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(2);
        hs1 = new MatrixClient(servers.get(0).clientBaseUrl());
        hs2 = new MatrixClient(servers.get(1).clientBaseUrl());
        alice = hs1.register(unique("alice"));
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    @Test
    void anAnswerWithoutTheJoinStoredBeforeItAddsToOurState() throws Exception {
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        User bob = hs2.register(unique("bob"));
        User carol = hs2.register(unique("carol"));
        String resident = servers.get(0).serverName();
        MembershipTemplates templates = servers.get(1).bean(MembershipTemplates.class);
        // Both templates first: carol's points at the room before bob's join.
        MembershipTemplates.Signed bobs = templates.make(resident, "join", room, bob.userId(), Map.of("membership", "join"));
        MembershipTemplates.Signed carols = templates.make(resident, "join", room, carol.userId(),
                Map.of("membership", "join"));
        servers.get(1).bean(RemoteJoins.class).joinWith(resident, room, bobs);

        // Carol's answer as Synapse gives it: the state at her join's prev_events, so without bob.
        persistAnsweredWithout(resident, room, carols, Set.of(bob.userId()));

        assertThat(hs2.joinedMembers(bob, room)).containsOnlyKeys(alice.userId(), bob.userId(), carol.userId());
        hs2.sendMessage(bob, room, "bob is still here").expect(200);
        hs2.sendMessage(carol, room, "so is carol").expect(200);
        until("hs1 listing all three", () -> hs1.joinedMembers(alice, room).keySet()
                .containsAll(List.of(alice.userId(), bob.userId(), carol.userId())));
    }

    @Test
    void manyJoinsOfARoomNewToUsAtOnceAllSucceed() throws Exception {
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        List<User> users = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            users.add(hs2.register(unique("joiner")));
        }
        String resident = servers.get(0).serverName();
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(users.size());
        List<Future<Response>> joins = new ArrayList<>();
        try {
            for (User u : users) {
                joins.add(pool.submit(() -> {
                    go.await();
                    return hs2.join(u, room, resident);
                }));
            }
            go.countDown();
            for (Future<Response> f : joins) {
                Response r = f.get();
                assertThat(r.status()).as(r.raw()).isEqualTo(200);
            }
        } finally {
            pool.shutdown();
        }
        List<String> everyone = new ArrayList<>(List.of(alice.userId()));
        users.forEach(u -> everyone.add(u.userId()));
        assertThat(hs2.joinedMembers(users.get(0), room).keySet()).containsExactlyInAnyOrderElementsOf(everyone);
        for (User u : users) {
            hs2.sendMessage(u, room, "hello").expect(200);
        }
        until("hs1 listing every member", () -> hs1.joinedMembers(alice, room).keySet().containsAll(everyone));
    }

    /**
     * Eleven joins made by the resident on the same event, each answered without the others (as
     * Synapse answers): on our side each is an extremity of its own, the others only in its fork.
     * A message's prev_events must name them all, or the state before it (resolved over those it
     * names) lacks the joins left out: with ten, as Synapse picks, the member whose join was the
     * eleventh was refused 403 "not joined" although the room's state listed them.
     */
    @Test
    void aMessageAfterElevenForkedJoinsNamesThemAll() throws Exception {
        forkedJoinsThenTheLastSpeaksFirst(11);
    }

    /** More forks than prev_events may name (20): the sender's own join is among those named. */
    @Test
    void aMessageAfterTwentyOneForkedJoinsNamesTheSendersOwn() throws Exception {
        forkedJoinsThenTheLastSpeaksFirst(21);
    }

    private void forkedJoinsThenTheLastSpeaksFirst(int forks) throws Exception {
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        String resident = servers.get(0).serverName();
        MembershipTemplates templates = servers.get(1).bean(MembershipTemplates.class);
        List<User> users = new ArrayList<>();
        List<MembershipTemplates.Signed> made = new ArrayList<>();
        for (int i = 0; i < forks; i++) {
            User u = hs2.register(unique("fork"));
            users.add(u);
            made.add(templates.make(resident, "join", room, u.userId(), Map.of("membership", "join")));
        }
        Set<String> joiners = new HashSet<>();
        users.forEach(u -> joiners.add(u.userId()));
        servers.get(1).bean(RemoteJoins.class).joinWith(resident, room, made.get(0));
        for (MembershipTemplates.Signed m : made.subList(1, made.size())) {
            persistAnsweredWithout(resident, room, m, joiners);
        }

        LocalEvents local = servers.get(1).bean(LocalEvents.class);
        EventGraph graph = servers.get(1).bean(EventGraph.class);
        RoomSnapshot snapshot = local.snapshot(room);
        assertThat(snapshot.extremities()).as("one extremity a join").hasSize(forks);
        // The join that the template's order puts last: the first one a cap leaves out.
        List<Pdu> ordered = new ArrayList<>(graph.events(snapshot.extremities()).values());
        ordered.sort(Comparator.comparingLong(Pdu::depth).reversed());
        String last = ordered.get(forks - 1).stateKey();
        User first = users.stream().filter(u -> u.userId().equals(last)).findFirst().orElseThrow();

        hs2.sendMessage(first, room, "the last speaks first").expect(200);
        for (User u : users) {
            hs2.sendMessage(u, room, "and the others after").expect(200);
        }
        until("hs1 listing every joiner", () -> hs1.joinedMembers(alice, room).keySet().containsAll(joiners));
    }

    /**
     * Sends {@code made} to the resident by hand and stores its answer on hs2 with the memberships
     * of {@code leftOut} taken out of the answer's state, as Synapse answers a join made before theirs.
     */
    private static void persistAnsweredWithout(String resident, String room, MembershipTemplates.Signed made,
                                               Set<String> leftOut) throws Exception {
        Pdu join = made.event();
        FederationResponse sent = servers.get(1).bean(FederationClient.class).put(resident,
                "/_matrix/federation/v2/send_join/" + FederationClient.pathSegment(room) + "/"
                        + FederationClient.pathSegment(join.eventId()), join.json());
        Map<String, Object> answer = Json.mutableCopy(sent.object());
        answer.put("state", Json.list(answer, "state").stream()
                .filter(e -> !leftOut.contains(((Map<?, ?>) e).get("state_key"))).toList());
        JoinedRoomWriter writer = servers.get(1).bean(JoinedRoomWriter.class);
        writer.persist(resident, room, made.version(), join, writer.check(resident, room, made.version(), answer), null);
    }
}
