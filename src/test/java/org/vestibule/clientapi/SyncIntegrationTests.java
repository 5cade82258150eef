package org.vestibule.clientapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.clientapi.Syncing.at;
import static org.vestibule.clientapi.Syncing.ids;
import static org.vestibule.clientapi.Syncing.list;
import static org.vestibule.clientapi.Syncing.map;
import static org.vestibule.clientapi.Syncing.state;
import static org.vestibule.clientapi.Syncing.sync;
import static org.vestibule.clientapi.Syncing.timeline;
import static org.vestibule.clientapi.Syncing.types;
import static org.vestibule.support.TestNames.unique;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.room.EventGraph;
import org.vestibule.room.EventPersister;
import org.vestibule.room.LocalEvents;
import org.vestibule.room.PersistOutcome;
import org.vestibule.support.Eventually;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.VestibuleIntegrationTest;

/** /sync and /messages on one server: exact shapes, tokens, long polls, and what clients must never see. */
@VestibuleIntegrationTest
class SyncIntegrationTests {

    private static final List<String> EVENT_KEYS = List.of("content", "event_id", "origin_server_ts", "room_id", "sender",
            "type", "unsigned");
    private static final List<String> STATE_EVENT_KEYS = List.of("content", "event_id", "origin_server_ts", "room_id",
            "sender", "state_key", "type", "unsigned");
    private static final List<String> PRIVATE_CHAT = List.of("m.room.create", "m.room.member", "m.room.power_levels",
            "m.room.join_rules", "m.room.history_visibility", "m.room.guest_access");

    @LocalServerPort
    int port;

    @Autowired
    LocalEvents localEvents;
    @Autowired
    EventPersister persister;
    @Autowired
    EventGraph graph;
    @Autowired
    StreamNotifier notifier;
    @Autowired
    DataSource dataSource;

    MatrixClient client;

    @BeforeEach
    void client() {
        client = new MatrixClient("http://127.0.0.1:" + port);
    }

    private String send(User user, String room, String body) {
        return client.sendMessage(user, room, body).expect(200).string("event_id");
    }

    private Response messages(User user, String room, String query) {
        return client.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/messages?" + query,
                user.accessToken());
    }

    private static long position(String token) {
        assertThat(token).matches("s[0-9]+");
        return Long.parseLong(token.substring(1));
    }

    private static List<String> bodies(List<Map<String, Object>> events) {
        return events.stream().map(e -> (String) at(e, "content", "body")).toList();
    }

    @Test
    void initialSyncShowsJoinedRoomsWithTheirTimelineAndEverySectionPresent() {
        User alice = client.register(unique("alice"));
        String room = client.createRoom(alice, Map.of("preset", "private_chat"));

        Map<String, Object> body = sync(client, alice, null);

        assertThat(body).containsOnlyKeys("next_batch", "rooms", "presence", "account_data", "to_device", "device_lists");
        position((String) body.get("next_batch"));
        // Syncing marked alice online (set_presence defaults to online): her own presence is the only one.
        List<Map<String, Object>> presence = list(body, "presence", "events");
        assertThat(presence).hasSize(1);
        assertThat(presence.get(0)).containsOnlyKeys("type", "sender", "content")
                .containsEntry("type", "m.presence").containsEntry("sender", alice.userId());
        assertThat(map(presence.get(0), "content")).containsEntry("presence", "online")
                .containsEntry("currently_active", true).containsKey("last_active_ago");
        // A user who never changed push rules gets them, as the default m.push_rules, and no other account data.
        assertThat(list(body, "account_data", "events")).extracting(e -> e.get("type")).containsExactly("m.push_rules");
        assertThat(body.get("to_device")).isEqualTo(Map.of("events", List.of()));
        assertThat(body.get("device_lists")).isEqualTo(Map.of("changed", List.of(), "left", List.of()));
        assertThat(at(body, "rooms")).isEqualTo(Map.of("join", at(body, "rooms", "join"), "invite", Map.of(),
                "leave", Map.of(), "knock", Map.of()));
        Map<String, Object> joined = map(body, "rooms", "join");
        assertThat(joined).containsOnlyKeys(room);
        Map<String, Object> r = map(joined, room);
        assertThat(r).containsOnlyKeys("summary", "state", "timeline", "ephemeral", "account_data", "unread_notifications");
        assertThat(r.get("summary")).isEqualTo(Map.of("m.heroes", List.of(), "m.joined_member_count", 1L,
                "m.invited_member_count", 0L));
        assertThat(r.get("ephemeral")).isEqualTo(Map.of("events", List.of()));
        assertThat(r.get("account_data")).isEqualTo(Map.of("events", List.of()));
        assertThat(r.get("unread_notifications")).isEqualTo(Map.of("highlight_count", 0L, "notification_count", 0L));
        // Six events make the room: all in the timeline, so no state before it.
        List<Map<String, Object>> events = timeline(body, "join", room);
        assertThat(types(events)).isEqualTo(PRIVATE_CHAT);
        assertThat(at(r, "timeline", "limited")).isEqualTo(false);
        assertThat(at(r, "state", "events")).isEqualTo(List.of());
        for (Map<String, Object> e : events) {
            assertThat(e).containsOnlyKeys(STATE_EVENT_KEYS);
            assertThat(e).containsEntry("room_id", room).containsEntry("sender", alice.userId());
            assertThat(map(e, "unsigned")).containsOnlyKeys("age");
        }
        // prev_batch sits just before the create event: nothing is older.
        Response older = messages(alice, room, "dir=b&from=" + at(r, "timeline", "prev_batch"));
        assertThat(older.expect(200).body()).isEqualTo(Map.of("chunk", List.of(), "start", at(r, "timeline", "prev_batch")));
    }

    @Test
    void incrementalSyncShowsOnlyWhatIsNewWithTheSendingDevicesTransactionId() {
        User alice = client.register(unique("alice"));
        User bob = client.register(unique("bob"));
        String room = client.createRoom(alice, Map.of("preset", "public_chat"));
        client.join(bob, room).expect(200);
        String since = (String) sync(client, alice, null).get("next_batch");
        String bobSince = (String) sync(client, bob, null).get("next_batch");

        Response sent = client.put("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/send/m.room.message/txn-42",
                alice.accessToken(), Map.of("msgtype", "m.text", "body", "hello"));
        String eventId = sent.expect(200).string("event_id");

        Map<String, Object> body = sync(client, alice, since);
        assertThat(map(body, "rooms", "join")).containsOnlyKeys(room);
        Map<String, Object> r = map(body, "rooms", "join", room);
        assertThat(r.get("summary")).isEqualTo(Map.of());
        assertThat(at(r, "state", "events")).isEqualTo(List.of());
        assertThat(at(r, "timeline", "limited")).isEqualTo(false);
        List<Map<String, Object>> events = timeline(body, "join", room);
        assertThat(ids(events)).containsExactly(eventId);
        Map<String, Object> message = events.get(0);
        assertThat(message).containsOnlyKeys(EVENT_KEYS);
        assertThat(message).containsEntry("type", "m.room.message").containsEntry("sender", alice.userId())
                .containsEntry("content", Map.of("msgtype", "m.text", "body", "hello"));
        assertThat((Map<String, Object>) message.get("unsigned")).containsOnlyKeys("age", "transaction_id")
                .containsEntry("transaction_id", "txn-42");
        assertThat(position((String) at(r, "timeline", "prev_batch"))).isEqualTo(position((String) body.get("next_batch")) - 1);

        // Bob sees the same event, without alice's transaction ID.
        List<Map<String, Object>> bobs = timeline(sync(client, bob, bobSince), "join", room);
        assertThat(ids(bobs)).containsExactly(eventId);
        assertThat((Map<String, Object>) bobs.get(0).get("unsigned")).containsOnlyKeys("age");

        // Nothing new: the room is left out and the token does not go backwards.
        Map<String, Object> again = sync(client, alice, (String) body.get("next_batch"));
        assertThat(map(again, "rooms", "join")).isEmpty();
        assertThat(position((String) again.get("next_batch"))).isGreaterThanOrEqualTo(position((String) body.get("next_batch")));
    }

    @Test
    void aLongPollReturnsAsSoonAsAnEventArrives() throws Exception {
        User alice = client.register(unique("alice"));
        String room = client.createRoom(alice, Map.of("preset", "private_chat"));
        String since = (String) sync(client, alice, null).get("next_batch");

        long started = System.nanoTime();
        CompletableFuture<Response> polling = CompletableFuture.supplyAsync(() -> Syncing.raw(client, alice, since, 20_000));
        Thread.sleep(400);
        assertThat(polling).isNotDone();
        String eventId = send(alice, room, "wake up");
        Map<String, Object> body = polling.get(10, TimeUnit.SECONDS).expect(200).body();
        long tookMs = (System.nanoTime() - started) / 1_000_000;

        assertThat(ids(timeline(body, "join", room))).containsExactly(eventId);
        assertThat(tookMs).isBetween(400L, 5_000L);
    }

    @Test
    void theDatabaseWakesWaitersOfTheRoomWrittenToAndNoOthers() throws Exception {
        User alice = client.register(unique("alice"));
        String room = client.createRoom(alice, Map.of("preset", "private_chat"));
        notifier.await(List.of(), notifier.generation(), 0); // starts listening
        Eventually.until("the LISTEN connection", notifier::listening);

        // Notifications of the room's creation may still be arriving: register once they have.
        long generation;
        CompletableFuture<Void> elsewhere;
        do {
            Thread.sleep(50);
            generation = notifier.generation();
            elsewhere = notifier.await(List.of("!elsewhere:test.vestibule.invalid"), generation, 20_000);
        } while (elsewhere.isDone());
        CompletableFuture<Void> here = notifier.await(List.of(room), generation, 20_000);
        send(alice, room, "notify");

        here.get(5, TimeUnit.SECONDS);
        Thread.sleep(200);
        assertThat(elsewhere).isNotDone();
        elsewhere.complete(null);
    }

    @Test
    void aSyncWaitsForTransactionsStillWritingEventsBeforeItSaysWhereTheStreamIs() throws Exception {
        User alice = client.register(unique("alice"));
        client.createRoom(alice, Map.of("preset", "private_chat"));
        long started;
        CompletableFuture<Response> syncing;
        try (Connection writer = dataSource.getConnection()) {
            writer.setAutoCommit(false);
            try (Statement st = writer.createStatement()) {
                // What every transaction storing an event holds until it ends.
                st.execute("lock table events in row exclusive mode");
            }
            started = System.nanoTime();
            syncing = CompletableFuture.supplyAsync(() -> Syncing.raw(client, alice, null, 0));
            Thread.sleep(500);
            assertThat(syncing).isNotDone();
            writer.commit();
        }
        assertThat(syncing.get(5, TimeUnit.SECONDS).status()).isEqualTo(200);
        assertThat((System.nanoTime() - started) / 1_000_000).isGreaterThanOrEqualTo(500);
    }

    @Test
    void aLongPollWithNothingNewAnswersEmptyAfterItsTimeout() {
        User alice = client.register(unique("alice"));
        client.createRoom(alice, Map.of("preset", "private_chat"));
        String since = (String) sync(client, alice, null).get("next_batch");

        long started = System.nanoTime();
        Map<String, Object> body = Syncing.raw(client, alice, since, 700).expect(200).body();
        long tookMs = (System.nanoTime() - started) / 1_000_000;

        assertThat(tookMs).isBetween(650L, 5_000L);
        assertThat(at(body, "rooms")).isEqualTo(Map.of("join", Map.of(), "invite", Map.of(), "leave", Map.of(),
                "knock", Map.of()));
        assertThat(position((String) body.get("next_batch"))).isGreaterThanOrEqualTo(position(since));
    }

    @Test
    void aLongTimelineIsLimitedAndMessagesPagesBackAndForth() {
        User alice = client.register(unique("alice"));
        String room = client.createRoom(alice, Map.of("preset", "private_chat"));
        String since = (String) sync(client, alice, null).get("next_batch");
        List<String> sent = new ArrayList<>();
        for (int i = 1; i <= 15; i++) {
            sent.add(send(alice, room, "m" + i));
        }

        Map<String, Object> body = sync(client, alice, since);
        Map<String, Object> r = map(body, "rooms", "join", room);
        assertThat(ids(timeline(body, "join", room))).isEqualTo(sent.subList(5, 15));
        assertThat(at(r, "timeline", "limited")).isEqualTo(true);
        assertThat(at(r, "state", "events")).isEqualTo(List.of()); // no state changed in the gap
        String prevBatch = (String) at(r, "timeline", "prev_batch");

        // Back from prev_batch: m5, m4, m3; then m2, m1 and nothing before the sync token.
        Map<String, Object> page = messages(alice, room, "dir=b&limit=3&from=" + prevBatch).expect(200).body();
        assertThat(page).containsOnlyKeys("chunk", "start", "end").containsEntry("start", prevBatch);
        assertThat(bodies(list(page, "chunk"))).containsExactly("m5", "m4", "m3");
        assertThat((list(page, "chunk")).get(0)).containsOnlyKeys(EVENT_KEYS);
        Map<String, Object> last = messages(alice, room, "dir=b&limit=10&from=" + page.get("end") + "&to=" + since)
                .expect(200).body();
        assertThat(bodies(list(last, "chunk"))).containsExactly("m2", "m1");
        assertThat(last).doesNotContainKey("end");
        // Without to, paging back reaches the room's creation and stops.
        Map<String, Object> creation = messages(alice, room, "dir=b&limit=100&from=" + page.get("end")).expect(200).body();
        assertThat(types(list(creation, "chunk")).subList(2, 8))
                .isEqualTo(reversed(PRIVATE_CHAT));
        assertThat(creation).doesNotContainKey("end");

        // Forwards from the sync token: m1..m4, then the rest, then nothing.
        Map<String, Object> forward = messages(alice, room, "dir=f&limit=4&from=" + since).expect(200).body();
        assertThat(bodies(list(forward, "chunk"))).containsExactly("m1", "m2", "m3", "m4");
        Map<String, Object> rest = messages(alice, room, "dir=f&limit=100&from=" + forward.get("end")).expect(200).body();
        assertThat(ids(list(rest, "chunk"))).isEqualTo(sent.subList(4, 15));
        assertThat(rest).doesNotContainKey("end");
        // With no from, backwards starts at the newest event.
        Map<String, Object> newest = messages(alice, room, "dir=b&limit=2").expect(200).body();
        assertThat(bodies(list(newest, "chunk"))).containsExactly("m15", "m14");
        // next_batch works as a from token too.
        Map<String, Object> fromNext = messages(alice, room, "dir=b&limit=1&from=" + body.get("next_batch")).expect(200).body();
        assertThat(bodies(list(fromNext, "chunk"))).containsExactly("m15");
    }

    @Test
    void messagesRefusesNonMembersAndBadParameters() {
        User alice = client.register(unique("alice"));
        User eve = client.register(unique("eve"));
        String room = client.createRoom(alice, Map.of("preset", "public_chat"));

        assertError(messages(eve, room, "dir=b"), 403, "M_FORBIDDEN");
        assertError(messages(eve, "!nowhere:test.vestibule.invalid", "dir=b"), 403, "M_FORBIDDEN");
        assertError(messages(alice, room, "dir=x"), 400, "M_INVALID_PARAM");
        assertError(messages(alice, room, "dir=b&from=t123"), 400, "M_INVALID_PARAM");
        assertError(messages(alice, room, "dir=b&to=s12x"), 400, "M_INVALID_PARAM");
        assertError(messages(alice, room, "dir=b&limit=ten"), 400, "M_INVALID_PARAM");
        assertError(messages(alice, room, "dir=b&limit=-1"), 400, "M_INVALID_PARAM");
        assertError(client.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/messages?dir=b", null), 401,
                "M_MISSING_TOKEN");
    }

    @Test
    void invitesKnocksAndTheirEndsShowInTheirSections() {
        User alice = client.register(unique("alice"));
        User bob = client.register(unique("bob"));
        String room = client.createRoom(alice, Map.of("preset", "private_chat", "room_version", "7"));
        client.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/invite", alice.accessToken(),
                Map.of("user_id", bob.userId())).expect(200);

        Map<String, Object> initial = sync(client, bob, null);
        assertThat(map(initial, "rooms", "join")).isEmpty();
        assertThat(map(initial, "rooms", "invite")).containsOnlyKeys(room);
        Map<String, Object> invited = map(initial, "rooms", "invite", room);
        assertThat(invited).containsOnlyKeys("invite_state");
        List<Map<String, Object>> inviteState = list(invited, "invite_state", "events");
        assertThat(types(inviteState)).containsExactly("m.room.create", "m.room.join_rules", "m.room.member",
                "m.room.member");
        for (Map<String, Object> stripped : inviteState.subList(0, 3)) {
            assertThat(stripped).containsOnlyKeys("content", "sender", "state_key", "type");
        }
        assertThat(inviteState.get(2)).containsEntry("state_key", alice.userId());
        Map<String, Object> invite = inviteState.get(3);
        assertThat(invite).containsOnlyKeys(STATE_EVENT_KEYS).containsEntry("state_key", bob.userId())
                .containsEntry("sender", alice.userId());
        assertThat(at(invite, "content", "membership")).isEqualTo("invite");

        // Rejecting: the room moves to leave with bob's leave event alone.
        String since = (String) initial.get("next_batch");
        client.leave(bob, room).expect(200);
        Map<String, Object> rejected = sync(client, bob, since);
        assertThat(map(rejected, "rooms", "invite")).isEmpty();
        assertThat(map(rejected, "rooms", "leave")).containsOnlyKeys(room);
        List<Map<String, Object>> leaveTimeline = timeline(rejected, "leave", room);
        assertThat(leaveTimeline).hasSize(1);
        assertThat(leaveTimeline.get(0)).containsEntry("sender", bob.userId()).containsEntry("state_key", bob.userId());
        assertThat(at(leaveTimeline.get(0), "content", "membership")).isEqualTo("leave");
        assertThat(state(rejected, "leave", room)).isEmpty();
        assertThat(at(rejected, "rooms", "leave", room, "timeline", "limited")).isEqualTo(false);

        // Knocking (Complement's knocking_test.go, local knocker).
        client.sendState(alice, room, "m.room.join_rules", "", Map.of("join_rule", "knock")).expect(200);
        String aliceSince = (String) sync(client, alice, null).get("next_batch");
        since = (String) rejected.get("next_batch");
        client.post("/_matrix/client/v3/knock/" + MatrixClient.encode(room), bob.accessToken(),
                Map.of("reason", "let me in")).expect(200);
        Map<String, Object> knocked = sync(client, bob, since);
        assertThat(map(knocked, "rooms", "knock")).containsOnlyKeys(room);
        List<Map<String, Object>> knockState = list(knocked, "rooms", "knock", room, "knock_state", "events");
        assertThat(types(knockState)).containsExactly("m.room.create", "m.room.join_rules", "m.room.member");
        assertThat(at(knockState.get(1), "content", "join_rule")).isEqualTo("knock");
        assertThat(at(knockState.get(2), "content")).isEqualTo(Map.of("membership", "knock", "reason", "let me in",
                "displayname", bob.userId().substring(1, bob.userId().indexOf(':'))));
        // The member in the room sees the knock in the timeline.
        List<Map<String, Object>> aliceSees = timeline(sync(client, alice, aliceSince), "join", room);
        assertThat(Syncing.hasMember(aliceSees, bob.userId(), "knock")).isTrue();

        // Rescinding: rooms.leave with the leave event (Complement checks exactly this).
        since = (String) knocked.get("next_batch");
        client.leave(bob, room).expect(200);
        Map<String, Object> rescinded = sync(client, bob, since);
        assertThat(map(rescinded, "rooms", "knock")).isEmpty();
        assertThat(Syncing.hasMember(timeline(rescinded, "leave", room), bob.userId(), "leave")).isTrue();
    }

    @Test
    void aKickedUserSeesTheRoomInLeaveUpToTheKickAndNoFurther() {
        User alice = client.register(unique("alice"));
        User bob = client.register(unique("bob"));
        String room = client.createRoom(alice, Map.of("preset", "public_chat"));
        client.join(bob, room).expect(200);
        String since = (String) sync(client, bob, null).get("next_batch");

        String before = send(alice, room, "before");
        client.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/kick", alice.accessToken(),
                Map.of("user_id", bob.userId(), "reason", "bye")).expect(200);
        send(alice, room, "after");

        Map<String, Object> body = sync(client, bob, since);
        assertThat(map(body, "rooms", "join")).isEmpty();
        assertThat(map(body, "rooms", "leave")).containsOnlyKeys(room);
        Map<String, Object> left = map(body, "rooms", "leave", room);
        assertThat(left).containsOnlyKeys("state", "timeline", "account_data");
        List<Map<String, Object>> events = timeline(body, "leave", room);
        assertThat(events).hasSize(2);
        assertThat(events.get(0)).containsEntry("event_id", before);
        assertThat(events.get(1)).containsEntry("sender", alice.userId()).containsEntry("state_key", bob.userId())
                .containsEntry("content", Map.of("membership", "leave", "reason", "bye"));
        assertThat(at(left, "timeline", "limited")).isEqualTo(false);
        assertThat(at(left, "state", "events")).isEqualTo(List.of());

        // Once told, not again; and an initial sync leaves left rooms out (as Synapse without include_leave).
        Map<String, Object> again = sync(client, bob, (String) body.get("next_batch"));
        assertThat(map(again, "rooms", "leave")).isEmpty();
        assertThat(map(sync(client, bob, null), "rooms", "leave")).isEmpty();

        // History up to the kick stays readable, and nothing after it.
        Map<String, Object> page = messages(bob, room, "dir=b&limit=2").expect(200).body();
        assertThat(ids(list(page, "chunk"))).containsExactly((String) events.get(1).get("event_id"), before);
    }

    @Test
    void aRoomJoinedSinceTheTokenComesWithItsWholeState() {
        User alice = client.register(unique("alice"));
        User bob = client.register(unique("bob"));
        String room = client.createRoom(alice, Map.of("preset", "public_chat", "name", "Lobby"));
        for (int i = 0; i < 12; i++) {
            send(alice, room, "old " + i);
        }
        String since = (String) sync(client, bob, null).get("next_batch");
        client.join(bob, room).expect(200);

        Map<String, Object> body = sync(client, bob, since);
        Map<String, Object> r = map(body, "rooms", "join", room);
        List<Map<String, Object>> events = timeline(body, "join", room);
        assertThat(events).hasSize(1);
        assertThat(Syncing.hasMember(events, bob.userId(), "join")).isTrue();
        assertThat(at(r, "timeline", "limited")).isEqualTo(false);
        List<String> expected = new ArrayList<>();
        for (Object e : (List<?>) client.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/state",
                bob.accessToken()).expect(200).body().get("_list")) {
            Map<String, Object> event = (Map<String, Object>) e;
            if (!bob.userId().equals(event.get("state_key"))) {
                expected.add((String) event.get("event_id"));
            }
        }
        assertThat(ids(state(body, "join", room))).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(types(state(body, "join", room))).contains("m.room.create", "m.room.name", "m.room.member");
        assertThat(r.get("summary")).isEqualTo(Map.of("m.heroes", List.of(alice.userId()), "m.joined_member_count", 2L,
                "m.invited_member_count", 0L));
    }

    @Test
    void fullStateGivesEveryJoinedRoomAtOnce() {
        User alice = client.register(unique("alice"));
        String room = client.createRoom(alice, Map.of("preset", "private_chat"));
        String since = (String) sync(client, alice, null).get("next_batch");

        long started = System.nanoTime();
        Map<String, Object> body = client.get("/_matrix/client/v3/sync?full_state=true&timeout=10000&since=" + since,
                alice.accessToken()).expect(200).body();
        assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(5_000);
        assertThat(timeline(body, "join", room)).isEmpty();
        assertThat(types(state(body, "join", room))).containsExactlyInAnyOrderElementsOf(PRIVATE_CHAT);
    }

    @Test
    void anInlineFilterSetsTheTimelineLimit() {
        User alice = client.register(unique("alice"));
        String room = client.createRoom(alice, Map.of("preset", "private_chat"));
        String filter = MatrixClient.encode("{\"room\":{\"timeline\":{\"limit\":2}}}");

        Map<String, Object> body = client.get("/_matrix/client/v3/sync?filter=" + filter, alice.accessToken())
                .expect(200).body();
        assertThat(types(timeline(body, "join", room))).isEqualTo(PRIVATE_CHAT.subList(4, 6));
        assertThat(at(body, "rooms", "join", room, "timeline", "limited")).isEqualTo(true);
        assertThat(types(state(body, "join", room))).containsExactlyInAnyOrderElementsOf(PRIVATE_CHAT.subList(0, 4));
    }

    @Test
    void uploadedFiltersAreKeptAndSyncHonoursTheirTimelineLimit() {
        User alice = client.register(unique("alice"));
        User bob = client.register(unique("bob"));
        String room = client.createRoom(alice, Map.of("preset", "private_chat"));
        String path = "/_matrix/client/v3/user/" + MatrixClient.encode(alice.userId()) + "/filter";
        Map<String, Object> filter = Map.of("room", Map.of("timeline", Map.of("limit", 3L), "state",
                Map.of("lazy_load_members", true)), "presence", Map.of("types", List.of()));

        Response created = client.post(path, alice.accessToken(), filter).expect(200);
        assertThat(created.body()).containsOnlyKeys("filter_id");
        String id = created.string("filter_id");
        assertThat(client.get(path + "/" + id, alice.accessToken()).expect(200).body()).isEqualTo(filter);

        Map<String, Object> body = client.get("/_matrix/client/v3/sync?filter=" + id, alice.accessToken()).expect(200).body();
        assertThat(types(timeline(body, "join", room))).isEqualTo(PRIVATE_CHAT.subList(3, 6));

        assertError(client.get(path + "/" + id, bob.accessToken()), 403, "M_FORBIDDEN");
        assertError(client.post(path, bob.accessToken(), filter), 403, "M_FORBIDDEN");
        assertError(client.get(path + "/999999999", alice.accessToken()), 404, "M_NOT_FOUND");
        assertError(client.get(path + "/nope", alice.accessToken()), 404, "M_NOT_FOUND");
        assertError(client.post(path, alice.accessToken(), "[1]".getBytes()), 400, "M_NOT_JSON");
        // Someone else's filter ID, or an unknown one, is refused as Synapse does.
        String bobs = client.post("/_matrix/client/v3/user/" + MatrixClient.encode(bob.userId()) + "/filter",
                bob.accessToken(), Map.of()).expect(200).string("filter_id");
        assertError(client.get("/_matrix/client/v3/sync?filter=" + bobs, alice.accessToken()), 400, "M_INVALID_PARAM");
        assertError(client.get("/_matrix/client/v3/sync?filter=999999999", alice.accessToken()), 400, "M_INVALID_PARAM");
    }

    @Test
    void aFilterFiltersPresenceAccountDataEphemeralEventsAndRooms() {
        User alice = client.register(unique("alice"));
        String kept = client.createRoom(alice, Map.of("preset", "private_chat"));
        String left = client.createRoom(alice, Map.of("preset", "private_chat"));
        String user = MatrixClient.encode(alice.userId());
        client.put("/_matrix/client/v3/user/" + user + "/account_data/org.example.kept", alice.accessToken(),
                Map.of("a", 1L)).expect(200);
        client.put("/_matrix/client/v3/user/" + user + "/account_data/m.direct", alice.accessToken(), Map.of()).expect(200);
        client.put("/_matrix/client/v3/user/" + user + "/rooms/" + MatrixClient.encode(kept)
                + "/account_data/org.example.room", alice.accessToken(), Map.of("b", 2L)).expect(200);
        client.put("/_matrix/client/v3/rooms/" + MatrixClient.encode(kept) + "/typing/" + user, alice.accessToken(),
                Map.of("typing", true, "timeout", 30_000L)).expect(200);
        client.put("/_matrix/client/v3/presence/" + user + "/status", alice.accessToken(),
                Map.of("presence", "online")).expect(200);

        Map<String, Object> unfiltered = client.get("/_matrix/client/v3/sync", alice.accessToken()).expect(200).body();
        assertThat(types(list(unfiltered, "presence", "events"))).containsExactly("m.presence");
        assertThat(types(list(unfiltered, "rooms", "join", kept, "ephemeral", "events"))).contains("m.typing");
        assertThat(types(list(unfiltered, "rooms", "join", kept, "account_data", "events"))).contains("org.example.room");
        assertThat(map(unfiltered, "rooms", "join")).containsKeys(kept, left);

        String filter = MatrixClient.encode("{\"presence\":{\"not_types\":[\"*\"]},"
                + "\"account_data\":{\"types\":[\"org.example.*\"]},"
                + "\"room\":{\"not_rooms\":[\"" + left + "\"],\"ephemeral\":{\"not_types\":[\"m.typing\"]},"
                + "\"account_data\":{\"limit\":0}}}");
        Map<String, Object> body = client.get("/_matrix/client/v3/sync?filter=" + filter, alice.accessToken())
                .expect(200).body();
        assertThat(list(body, "presence", "events")).isEmpty();
        assertThat(types(list(body, "account_data", "events"))).containsExactly("org.example.kept");
        assertThat(map(body, "rooms", "join")).containsOnlyKeys(kept);
        assertThat(types(list(body, "rooms", "join", kept, "ephemeral", "events"))).doesNotContain("m.typing");
        assertThat(list(body, "rooms", "join", kept, "account_data", "events")).isEmpty();

        String onlyLeft = MatrixClient.encode("{\"room\":{\"rooms\":[\"" + left + "\"]},"
                + "\"presence\":{\"senders\":[\"" + alice.userId() + "\"]}}");
        Map<String, Object> second = client.get("/_matrix/client/v3/sync?filter=" + onlyLeft, alice.accessToken())
                .expect(200).body();
        assertThat(map(second, "rooms", "join")).containsOnlyKeys(left);
        assertThat(types(list(second, "presence", "events"))).containsExactly("m.presence");

        assertError(client.get("/_matrix/client/v3/sync?filter=" + MatrixClient.encode("{\"presence\":\"none\"}"),
                alice.accessToken()), 400, "M_INVALID_PARAM");
        assertError(client.post("/_matrix/client/v3/user/" + user + "/filter", alice.accessToken(),
                Map.of("account_data", Map.of("not_senders", "@x:y"))), 400, "M_INVALID_PARAM");
        assertError(client.get("/_matrix/client/v3/sync?filter="
                + MatrixClient.encode("{\"room\":{\"ephemeral\":{\"types\":\"m.typing\"}}}"),
                alice.accessToken()), 400, "M_INVALID_PARAM");
    }

    @Test
    void badRequestsGetMatrixErrors() {
        User alice = client.register(unique("alice"));
        assertError(client.get("/_matrix/client/v3/sync", null), 401, "M_MISSING_TOKEN");
        assertError(client.get("/_matrix/client/v3/sync", "not-a-token"), 401, "M_UNKNOWN_TOKEN");
        assertError(client.get("/_matrix/client/v3/sync?since=garbage", alice.accessToken()), 400, "M_INVALID_PARAM");
        assertError(client.get("/_matrix/client/v3/sync?since=s12_3", alice.accessToken()), 400, "M_INVALID_PARAM");
        assertError(client.get("/_matrix/client/v3/sync?timeout=soon", alice.accessToken()), 400, "M_INVALID_PARAM");
        assertError(client.get("/_matrix/client/v3/sync?full_state=maybe", alice.accessToken()), 400, "M_INVALID_PARAM");
        assertError(client.get("/_matrix/client/v3/sync?filter=" + MatrixClient.encode("{oops"), alice.accessToken()),
                400, "M_NOT_JSON");
        // r0 too, and set_presence is accepted.
        assertThat(client.get("/_matrix/client/r0/sync?set_presence=offline", alice.accessToken()).expect(200).body())
                .containsKey("next_batch");
    }

    @Test
    void rejectedSoftFailedAndOutlierEventsNeverReachClients() {
        User alice = client.register(unique("alice"));
        User bob = client.register(unique("bob"));
        String room = client.createRoom(alice, Map.of("preset", "public_chat"));
        client.join(bob, room).expect(200);
        RoomVersion version = graph.roomVersion(room).orElseThrow();
        String since = (String) sync(client, alice, null).get("next_batch");

        // Rejected: a sender who is not in the room.
        Pdu stranger = message(room, version, "@mallory:test.vestibule.invalid", "rejected");
        assertThat(persister.persist(stranger)).isInstanceOf(PersistOutcome.Rejected.class);
        // Soft-failed: bob's message made before his ban, arriving after it.
        Pdu late = message(room, version, bob.userId(), "soft-failed");
        client.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/ban", alice.accessToken(),
                Map.of("user_id", bob.userId())).expect(200);
        assertThat(persister.persist(late)).isEqualTo(new PersistOutcome.Stored(late, true));
        // Outlier: known but not in the graph.
        Pdu outlier = message(room, version, alice.userId(), "outlier");
        persister.persistOutliers(List.of(outlier));
        String visible = send(alice, room, "visible");

        Map<String, Object> body = sync(client, alice, since);
        List<Map<String, Object>> events = timeline(body, "join", room);
        assertThat(bodies(events.stream().filter(e -> "m.room.message".equals(e.get("type"))).toList()))
                .containsExactly("visible");
        assertThat(ids(events)).doesNotContain(stranger.eventId(), late.eventId(), outlier.eventId());
        Map<String, Object> page = messages(alice, room, "dir=b&limit=100").expect(200).body();
        assertThat(ids(list(page, "chunk"))).contains(visible)
                .doesNotContain(stranger.eventId(), late.eventId(), outlier.eventId());

        // The outlier placed into the graph later enters the stream then, past tokens issued before.
        String next = (String) body.get("next_batch");
        assertThat(persister.persist(outlier)).isInstanceOf(PersistOutcome.Stored.class);
        assertThat(ids(timeline(sync(client, alice, next), "join", room))).containsExactly(outlier.eventId());
    }

    private Pdu message(String room, RoomVersion version, String sender, String body) {
        return localEvents.sign(localEvents.template(room, version, localEvents.snapshot(room), sender, "m.room.message",
                null, Map.of("msgtype", "m.text", "body", body)), version);
    }

    private static List<String> reversed(List<String> list) {
        List<String> copy = new ArrayList<>(list);
        Collections.reverse(copy);
        return copy;
    }

    private static void assertError(Response r, int status, String errcode) {
        assertThat(r.status()).as(r.raw()).isEqualTo(status);
        assertThat(r.errcode()).as(r.raw()).isEqualTo(errcode);
    }
}
