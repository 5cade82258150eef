package org.vestibule.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.Eventually.eventually;
import static org.vestibule.support.Eventually.until;
import static org.vestibule.support.TestNames.unique;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersions;
import org.vestibule.event.StrictJsonParser;
import org.vestibule.federation.outbound.FederationClient;
import org.vestibule.federation.outbound.FederationErrorResponseException;
import org.vestibule.federation.outbound.FederationResponse;
import org.vestibule.room.EventGraph;
import org.vestibule.room.LocalEvents;
import org.vestibule.room.RoomMemberships;
import org.vestibule.support.FakeFederationServer;
import org.vestibule.support.FakeFederationServer.Reply;
import org.vestibule.support.FederationDriver;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;

/**
 * A user who joins a room on another server pages back through what was said before (spec
 * server-server §Backfilling): hs2 backfills from hs1 as its user pages, checks every event, and
 * serves the pages in topological order with tokens that chain. hs3 makes a fork; a fake resident
 * answers with badly signed events or not at all.
 */
class BackfillIntegrationTests {

    static TestHomeservers servers;
    static MatrixClient hs1;
    static MatrixClient hs2;
    static String hs1Name;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(3, "--vestibule.history.timeout=2s");
        hs1 = new MatrixClient(servers.get(0).clientBaseUrl());
        hs2 = new MatrixClient(servers.get(1).clientBaseUrl());
        hs1Name = servers.get(0).serverName();
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    private static List<String> sendAll(MatrixClient client, User user, String room, String prefix, int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            ids.add(client.sendMessage(user, room, prefix + i).expect(200).string("event_id"));
        }
        return ids;
    }

    private static List<String> bodies(String prefix, int from, int downTo) {
        List<String> out = new ArrayList<>();
        for (int i = from; i >= downTo; i--) {
            out.add(prefix + i);
        }
        return out;
    }

    /** The initial /sync of a user once the room's timeline there ends with an event of this body. */
    private static Map<String, Object> syncShowing(MatrixClient client, User user, String room, String lastBody) {
        return eventually(user.userId() + " syncing " + room + " up to '" + lastBody + "'", () -> {
            Map<String, Object> body = client.get("/_matrix/client/v3/sync?timeout=0", user.accessToken()).expect(200).body();
            List<Object> events = Json.list(Json.object(Json.object(Json.object(Json.object(body, "rooms"), "join"), room),
                    "timeline"), "events");
            if (events.isEmpty()) {
                return null;
            }
            Map<?, ?> last = (Map<?, ?>) events.get(events.size() - 1);
            return last.get("content") instanceof Map<?, ?> c && lastBody.equals(c.get("body")) ? body : null;
        });
    }

    @Test
    void aLateJoinerPagesBackThroughAHundredMessagesFromThePrevBatchOfALimitedSync() {
        User alice = hs1.register(unique("alice"));
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat", "name", "History"));
        sendAll(hs1, alice, room, "m", 100);
        User bob = hs2.register(unique("bob"));
        hs2.join(bob, room, hs1Name).expect(200);
        sendAll(hs1, alice, room, "p", 15);

        // A limited sync: the last 10 of alice's later messages; prev_batch leads back into the rest.
        Map<String, Object> sync = syncShowing(hs2, bob, room, "p15");
        Map<String, Object> timeline = Json.object(Json.object(Json.object(Json.object(sync, "rooms"), "join"), room),
                "timeline");
        assertThat(timeline.get("limited")).isEqualTo(true);
        String prevBatch = (String) timeline.get("prev_batch");

        long started = System.nanoTime();
        Map<String, Object> first = Paging.page(hs2, bob, room, prevBatch, 20).expect(200).body();
        long firstPageMs = (System.nanoTime() - started) / 1_000_000;
        System.out.println("BackfillIntegrationTests: the first page of 20 (backfilling from " + hs1Name + ") took "
                + firstPageMs + " ms");
        assertThat(Json.list(first, "chunk")).hasSize(20);

        Paging.Walk walk = Paging.back(hs2, bob, room, prevBatch, 20);
        List<String> expected = new ArrayList<>(bodies("p", 5, 1));
        expected.addAll(bodies("m", 100, 1));
        assertThat(walk.bodies()).isEqualTo(expected);
        assertThat(new HashSet<>(walk.ids())).hasSize(walk.ids().size());
        // Bob's join sits between the messages sent after it and those before; the room's creation ends it.
        assertThat(walk.types().get(walk.types().size() - 1)).isEqualTo("m.room.create");
        int join = walk.ids().indexOf(idOfMember(walk, bob.userId(), "join"));
        assertThat(walk.bodies().subList(0, 5)).allMatch(b -> b.startsWith("p"));
        assertThat(join).isEqualTo(5);
        assertThat(walk.ends()).allMatch(t -> t.matches("t\\d+-(-)?\\d+"));
        assertThat(walk.pages()).isGreaterThanOrEqualTo(6);

        // Backfilled history is in the graph below stream ordering zero, and no sync shows it as news.
        JdbcTemplate db = servers.get(1).bean(JdbcTemplate.class);
        assertThat(db.queryForObject("select count(*) from events where room_id = ? and stream_ordering < 0 "
                + "and type = 'm.room.message'", Long.class, room)).isEqualTo(100L);
        Map<String, Object> after = hs2.get("/_matrix/client/v3/sync?timeout=0&since="
                + MatrixClient.encode((String) sync.get("next_batch")), bob.accessToken()).expect(200).body();
        assertThat(Json.object(Json.object(after, "rooms"), "join")).doesNotContainKey(room);

        // Forwards from the room's beginning, backfilled history first.
        Map<String, Object> forwards = hs2.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room)
                + "/messages?dir=f&limit=200", bob.accessToken()).expect(200).body();
        List<String> oldestFirst = new ArrayList<>();
        for (Object o : Json.list(forwards, "chunk")) {
            if (((Map<?, ?>) o).get("content") instanceof Map<?, ?> c && c.get("body") instanceof String b) {
                oldestFirst.add(b);
            }
        }
        List<String> chronological = new ArrayList<>(bodies("m", 100, 1));
        chronological.addAll(0, bodies("p", 15, 1));
        Collections.reverse(chronological);
        assertThat(oldestFirst).isEqualTo(chronological);

        // Once held, the same pages come again without asking anyone (and the same way).
        Paging.Walk again = Paging.back(hs2, bob, room, prevBatch, 20);
        assertThat(again.ids()).isEqualTo(walk.ids());
        assertThat(again.ends()).isEqualTo(walk.ends());
    }

    private static String idOfMember(Paging.Walk walk, String userId, String membership) {
        for (Map<String, Object> e : walk.events()) {
            if ("m.room.member".equals(e.get("type")) && userId.equals(e.get("state_key"))
                    && membership.equals(Json.object(e, "content").get("membership"))) {
                return (String) e.get("event_id");
            }
        }
        throw new AssertionError(userId + "'s " + membership + " is not in the pages");
    }

    @Test
    void aForkBeforeTheJoinIsPagedThroughWholeInTopologicalOrder() {
        User alice = hs1.register(unique("alice"));
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        MatrixClient hs3 = new MatrixClient(servers.get(2).clientBaseUrl());
        User carol = hs3.register(unique("carol"));
        hs3.join(carol, room, hs1Name).expect(200);
        String carolJoin = servers.get(0).bean(RoomMemberships.class).find(room, carol.userId()).orElseThrow().eventId();
        sendAll(hs1, alice, room, "a", 5);

        // hs3 sends a branch of three messages that starts at carol's join, beside alice's five.
        FederationDriver asHs3 = new FederationDriver(servers.get(2));
        LocalEvents hs1Events = servers.get(0).bean(LocalEvents.class);
        EventGraph hs1Graph = servers.get(0).bean(EventGraph.class);
        List<Object> branch = new ArrayList<>();
        List<String> branchIds = new ArrayList<>();
        Pdu prev = hs1Graph.event(carolJoin).orElseThrow();
        for (int i = 1; i <= 3; i++) {
            Map<String, Object> template = hs1Events.template(room, RoomVersions.V10, hs1Events.snapshot(room),
                    carol.userId(), "m.room.message", null, Map.of("msgtype", "m.text", "body", "f" + i));
            Pdu after = prev;
            Pdu f = asHs3.sign(template, "10", e -> {
                e.put("prev_events", List.of(after.eventId()));
                e.put("depth", after.depth() + 1);
            });
            branch.add(f.json());
            branchIds.add(f.eventId());
            prev = f;
        }
        FederationDriver.Answer sent = asHs3.put(hs1Name, "/_matrix/federation/v1/send/fork-" + System.nanoTime(),
                Map.of("origin", servers.get(2).serverName(), "origin_server_ts", System.currentTimeMillis(), "pdus", branch));
        assertThat(sent.status()).isEqualTo(200);
        assertThat(Json.object(sent.body(), "pdus").values()).allMatch(r -> ((Map<?, ?>) r).isEmpty());
        assertThat(hs1Graph.forwardExtremities(room)).hasSize(2);
        // Alice's next message merges the branches.
        String merge = hs1.sendMessage(alice, room, "merge").expect(200).string("event_id");
        assertThat(hs1Graph.event(merge).orElseThrow().prevEvents()).hasSize(2);

        User bob = hs2.register(unique("bob"));
        hs2.join(bob, room, hs1Name).expect(200);
        List<String> extremitiesBefore = servers.get(1).bean(EventGraph.class).forwardExtremities(room);
        Paging.Walk walk = Paging.back(hs2, bob, room, null, 4);
        Paging.Walk resident = Paging.back(hs1, alice, room, null, 100);

        // Everything the resident shows (less bob's join, after it), each once.
        List<String> expected = new ArrayList<>(resident.ids());
        expected.remove(idOfMember(resident, bob.userId(), "join"));
        List<String> got = new ArrayList<>(walk.ids());
        got.remove(idOfMember(walk, bob.userId(), "join"));
        assertThat(new HashSet<>(got)).isEqualTo(new HashSet<>(expected));
        assertThat(got).hasSize(expected.size());
        assertThat(walk.ids()).containsAll(branchIds).contains(merge);
        assertThat(walk.bodies()).containsExactlyInAnyOrder("merge", "a1", "a2", "a3", "a4", "a5", "f1", "f2", "f3");
        // Topological order: depth never grows going back.
        JdbcTemplate db = servers.get(1).bean(JdbcTemplate.class);
        Map<String, Long> depths = new HashMap<>();
        db.query("select event_id, depth from events where room_id = ?", rs -> {
            depths.put(rs.getString(1), rs.getLong(2));
        }, room);
        for (int i = 1; i < walk.ids().size(); i++) {
            assertThat(depths.get(walk.ids().get(i))).as("depth of event %d going back", i)
                    .isLessThanOrEqualTo(depths.get(walk.ids().get(i - 1)));
        }
        // History changed neither the room's current state nor where new events go.
        assertThat(servers.get(1).bean(EventGraph.class).forwardExtremities(room)).isEqualTo(extremitiesBefore);
        assertThat(hs2.getState(bob, room, "m.room.member", bob.userId()).expect(200).body())
                .containsEntry("membership", "join");
    }

    @Test
    void aPeerAnsweringBadlySignedEventsIsLeftOutAndTheNextServerFillsTheHistory() {
        try (FakeFederationServer fake = FakeFederationServer.start()) {
            User alice = hs1.register(unique("alice"));
            String room = hs1.createRoom(alice, Map.of("preset", "public_chat"));
            sendAll(hs1, alice, room, "m", 30);
            relayThrough(fake, true);
            User bob = hs2.register(unique("bob"));
            // Joined through the fake: the first server hs2 asks for the room's history.
            hs2.join(bob, room, fake.serverName()).expect(200);

            Paging.Walk walk = Paging.back(hs2, bob, room, null, 10);
            assertThat(fake.requests().stream().filter(r -> r.path().startsWith("/_matrix/federation/v1/backfill/")).count())
                    .isGreaterThanOrEqualTo(1);
            assertThat(walk.bodies()).isEqualTo(bodies("m", 30, 1));
            JdbcTemplate db = servers.get(1).bean(JdbcTemplate.class);
            assertThat(db.queryForObject("select count(*) from events where room_id = ? and origin_server_ts = 42",
                    Long.class, room)).isZero();
        }
    }

    @Test
    void aPageIsServedWithWhatWeHoldWhenThePeerAnswersNothing() {
        try (FakeFederationServer fake = FakeFederationServer.start()) {
            User alice = hs1.register(unique("alice"));
            String room = hs1.createRoom(alice, Map.of("preset", "public_chat"));
            sendAll(hs1, alice, room, "m", 5);
            relayThrough(fake, false);
            User bob = hs2.register(unique("bob"));
            hs2.join(bob, room, fake.serverName()).expect(200);
            // hs1 leaves the room: the fake, which hangs on /backfill, is the only server to ask.
            hs1.leave(alice, room).expect(200);
            until("hs2 seeing alice leave", () -> "leave".equals(hs2.getState(bob, room, "m.room.member", alice.userId())
                    .body().get("membership")));

            long started = System.nanoTime();
            Map<String, Object> page = Paging.page(hs2, bob, room, null, 10).expect(200).body();
            long ms = (System.nanoTime() - started) / 1_000_000;
            // One backfill timeout (2 s here), far from the federation request timeout (60 s).
            assertThat(ms).as("the page's time in ms").isLessThan(20_000);
            List<String> types = Json.list(page, "chunk").stream().map(e -> (String) ((Map<?, ?>) e).get("type")).toList();
            assertThat(types).containsExactly("m.room.member", "m.room.member");
            assertThat(fake.requests().stream().filter(r -> r.path().startsWith("/_matrix/federation/v1/backfill/")).count())
                    .isEqualTo(1);
            // The page may go on; the next finds nothing more to be had now, and ends without asking again.
            assertThat(page).containsKey("end");
            Map<String, Object> next = Paging.page(hs2, bob, room, (String) page.get("end"), 10).expect(200).body();
            assertThat(Json.list(next, "chunk")).isEmpty();
            assertThat(next).doesNotContainKey("end");
            assertThat(fake.requests().stream().filter(r -> r.path().startsWith("/_matrix/federation/v1/backfill/")).count())
                    .isEqualTo(1);
        }
    }

    /**
     * The fake relays federation reads and the join handshake to hs1, signed as hs2; its /backfill
     * answers have every message's signed fields changed ({@code tamper}) or never come.
     */
    private static void relayThrough(FakeFederationServer fake, boolean tamper) {
        FederationClient asHs2 = servers.get(1).bean(FederationClient.class);
        fake.onPrefix("/_matrix/federation/", r -> {
            if (r.path().startsWith("/_matrix/federation/v1/backfill/")) {
                if (!tamper) {
                    Thread.sleep(10_000);
                    return Reply.json(200, Map.of("pdus", List.of()));
                }
                Map<String, Object> answer = Json.mutableCopy(StrictJsonParser.parseObject(
                        relay(() -> asHs2.get(hs1Name, r.uri())).body(), StrictJsonParser.Limits.RESPONSE));
                List<Object> pdus = new ArrayList<>();
                for (Object o : Json.list(answer, "pdus")) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> e = new LinkedHashMap<>((Map<String, Object>) o);
                    if ("m.room.message".equals(e.get("type"))) {
                        e.put("origin_server_ts", 42L); // covered by the signature: it no longer verifies
                    }
                    pdus.add(e);
                }
                answer.put("pdus", pdus);
                return Reply.json(200, answer);
            }
            if ("PUT".equals(r.method())) {
                Map<String, Object> body = StrictJsonParser.parseObject(r.body(), StrictJsonParser.Limits.REQUEST);
                return relay(() -> asHs2.put(hs1Name, r.uri(), body));
            }
            return relay(() -> asHs2.get(hs1Name, r.uri()));
        });
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
}
