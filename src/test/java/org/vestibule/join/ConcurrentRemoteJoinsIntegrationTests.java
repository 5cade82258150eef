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
        // Both templates first, so carol's points at the room before bob's join; her answer as Synapse
        // gives it: the state at her join's prev_events, so without bob.
        ForkedJoins.join(servers.get(1), servers.get(0).serverName(), room, List.of(bob.userId(), carol.userId()),
                Set.of(bob.userId()));

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

    /**
     * Past 20 forks no event can name them all: merge events by the sender come first, so the state
     * before the message holds every join, and a member whose join it could not have named sees it
     * in a room whose history only members see (without them: not in their /messages).
     */
    @Test
    void pastTwentyForkedJoinsMergesComeBeforeTheMessage() throws Exception {
        Forks forks = forkedJoins(Map.of("preset", "public_chat", "initial_state", List.of(Map.of(
                "type", "m.room.history_visibility", "state_key", "", "content", Map.of("history_visibility", "joined")))),
                25);
        User sender = forks.inTemplateOrder().get(0);
        User unnamed = forks.inTemplateOrder().get(24);

        hs2.sendMessage(sender, forks.room(), "seen by every member").expect(200);

        LocalEvents local = servers.get(1).bean(LocalEvents.class);
        assertThat(local.snapshot(forks.room()).extremities()).as("the message names every fork, merged or not")
                .hasSize(1);
        assertThat(timeline(forks.room(), unnamed, "content")).contains(Map.of("msgtype", "m.text",
                "body", "seen by every member"));
        // The merge itself names 20: the unnamed member was not in the room as it stands.
        assertThat(timeline(forks.room(), sender, "type")).as("merge events, each naming 20 forks")
                .containsOnlyOnce("org.matrix.dummy_event");
        for (User u : forks.inTemplateOrder()) {
            hs2.sendMessage(u, forks.room(), "and the others after").expect(200);
        }
        until("hs1 with every fork merged", () -> servers.get(0).bean(LocalEvents.class).snapshot(forks.room())
                .extremities().size() == 1);
    }

    /**
     * The resident holds the same 25 forks: a make_join's template then names a merge event by one
     * of its members with the forks it left, not 20 of the 25, so the joiner's state holds them all.
     */
    @Test
    void pastTwentyForksAtTheResidentAMakeJoinMergesThemFirst() throws Exception {
        Forks forks = forkedJoins(Map.of("preset", "public_chat"), 25);
        String resident = servers.get(0).serverName();
        assertThat(servers.get(0).bean(LocalEvents.class).snapshot(forks.room()).extremities()).hasSize(25);

        User late = hs2.register(unique("late"));
        MembershipTemplates.Signed made = servers.get(1).bean(MembershipTemplates.class).make(resident, "join",
                forks.room(), late.userId(), Map.of("membership", "join"));
        List<Pdu> prevs = new ArrayList<>(servers.get(0).bean(EventGraph.class).events(made.event().prevEvents())
                .values());
        assertThat(prevs).as("the merge event and the 5 forks it left").hasSize(6);
        assertThat(prevs).filteredOn(p -> p.type().equals("org.matrix.dummy_event")).singleElement()
                .extracting(Pdu::sender).isEqualTo(alice.userId());

        servers.get(1).bean(RemoteJoins.class).joinWith(resident, forks.room(), made);
        hs2.sendMessage(late, forks.room(), "late, and every fork in my state").expect(200);
        Set<String> everyone = new HashSet<>(hs1.joinedMembers(alice, forks.room()).keySet());
        assertThat(hs2.joinedMembers(late, forks.room()).keySet()).containsAll(everyone);
    }

    /** An invite of another server's user, built before that server signs it, merges the forks first too. */
    @Test
    void pastTwentyForksAnInviteOfAnotherServersUserMergesThemFirst() throws Exception {
        Forks forks = forkedJoins(Map.of("preset", "public_chat"), 25);
        User bob = hs2.register(unique("bob"));
        LocalEvents resident = servers.get(0).bean(LocalEvents.class);
        assertThat(resident.snapshot(forks.room()).extremities()).hasSize(25);

        hs1.post("/_matrix/client/v3/rooms/" + FederationClient.pathSegment(forks.room()) + "/invite",
                alice.accessToken(), Map.of("user_id", bob.userId())).expect(200);

        assertThat(resident.snapshot(forks.room()).extremities())
                .as("the invite names the merge event and the forks it left").hasSize(1);
    }

    /** A join of the resident's own user, who may not merge before joining: another member merges first. */
    @Test
    void pastTwentyForksAJoinOfTheResidentsUserIsMergedByAMember() throws Exception {
        Forks forks = forkedJoins(Map.of("preset", "public_chat"), 25);
        User dan = hs1.register(unique("dan"));
        LocalEvents resident = servers.get(0).bean(LocalEvents.class);

        hs1.join(dan, forks.room()).expect(200);

        assertThat(resident.snapshot(forks.room()).extremities()).as("the join names the merge event and the rest")
                .hasSize(1);
        hs1.sendMessage(dan, forks.room(), "dan is in").expect(200);
    }

    /** The {@code key} of each event in the latest page of the room's timeline that {@code user} may see. */
    private static List<Object> timeline(String room, User user, String key) {
        Map<String, Object> page = hs2.get("/_matrix/client/v3/rooms/" + FederationClient.pathSegment(room)
                + "/messages?dir=b&limit=50", user.accessToken()).expect(200).body();
        List<Object> values = new ArrayList<>();
        for (Object e : Json.list(page, "chunk")) {
            values.add(((Map<?, ?>) e).get(key));
        }
        return values;
    }

    private void forkedJoinsThenTheLastSpeaksFirst(int n) throws Exception {
        Forks forks = forkedJoins(Map.of("preset", "public_chat"), n);
        User first = forks.inTemplateOrder().get(n - 1);

        hs2.sendMessage(first, forks.room(), "the last speaks first").expect(200);
        for (User u : forks.inTemplateOrder()) {
            hs2.sendMessage(u, forks.room(), "and the others after").expect(200);
        }
        Set<String> joiners = new HashSet<>();
        forks.inTemplateOrder().forEach(u -> joiners.add(u.userId()));
        until("hs1 listing every joiner", () -> hs1.joinedMembers(alice, forks.room()).keySet().containsAll(joiners));
    }

    /** A room of hs1 that {@code n} users of hs2 joined, each join a fork of its own on hs2. */
    private record Forks(String room, List<User> inTemplateOrder) {}

    /**
     * {@code n} forked joins (ForkedJoins), each answered without the others as Synapse answers; the
     * joiners in the order in which a template lists their joins among its prev_events (deepest first).
     */
    private Forks forkedJoins(Map<String, Object> room, int n) throws Exception {
        String roomId = hs1.createRoom(alice, room);
        List<User> users = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            users.add(hs2.register(unique("fork")));
        }
        List<String> joiners = users.stream().map(User::userId).toList();
        ForkedJoins.join(servers.get(1), servers.get(0).serverName(), roomId, joiners, Set.copyOf(joiners));

        LocalEvents local = servers.get(1).bean(LocalEvents.class);
        EventGraph graph = servers.get(1).bean(EventGraph.class);
        RoomSnapshot snapshot = local.snapshot(roomId);
        assertThat(snapshot.extremities()).as("one extremity a join").hasSize(n);
        List<Pdu> ordered = new ArrayList<>(graph.events(snapshot.extremities()).values());
        ordered.sort(Comparator.comparingLong(Pdu::depth).reversed());
        List<User> inOrder = new ArrayList<>();
        for (Pdu join : ordered) {
            inOrder.add(users.stream().filter(u -> u.userId().equals(join.stateKey())).findFirst().orElseThrow());
        }
        return new Forks(roomId, inOrder);
    }
}
