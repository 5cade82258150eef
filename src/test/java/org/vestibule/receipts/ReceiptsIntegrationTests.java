package org.vestibule.receipts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.EphemeralSync.ephemeral;
import static org.vestibule.support.EphemeralSync.next;
import static org.vestibule.support.EphemeralSync.receipt;
import static org.vestibule.support.EphemeralSync.roomAccountData;
import static org.vestibule.support.EphemeralSync.sync;
import static org.vestibule.support.EphemeralSync.until;
import static org.vestibule.support.TestNames.unique;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.vestibule.support.EphemeralSync;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.VestibuleIntegrationTest;

/** Receipts, threaded and private, and read markers on one server: the endpoints, their errors and /sync. */
@VestibuleIntegrationTest
class ReceiptsIntegrationTests {

    @LocalServerPort
    int port;

    @Autowired
    JdbcTemplate jdbc;

    MatrixClient client;

    @BeforeEach
    void client() {
        client = new MatrixClient("http://127.0.0.1:" + port);
    }

    Response postReceipt(User user, String room, String type, String eventId, Object body) {
        return client.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/receipt/" + MatrixClient.encode(type)
                + "/" + MatrixClient.encode(eventId), user.accessToken(), body);
    }

    Response readMarkers(User user, String room, Object body) {
        return client.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/read_markers", user.accessToken(),
                body);
    }

    String send(User user, String room, String body) {
        return client.sendMessage(user, room, body).expect(200).string("event_id");
    }

    String sendInThread(User user, String room, String root, String body) {
        return client.put("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/send/m.room.message/"
                + unique("t"), user.accessToken(), Map.of("msgtype", "m.text", "body", body, "m.relates_to",
                Map.of("rel_type", "m.thread", "event_id", root))).expect(200).string("event_id");
    }

    record Room(User alice, User bob, String id) {}

    Room room() {
        User alice = client.register(unique("alice"));
        User bob = client.register(unique("bob"));
        String room = client.createRoom(alice, Map.of("preset", "public_chat"));
        client.join(bob, room).expect(200);
        return new Room(alice, bob, room);
    }

    @Test
    void aReadReceiptShowsInEveryMembersSyncInTheSpecsShape() throws Exception {
        Room r = room();
        String first = send(r.alice(), r.id(), "one");
        String aliceSince = next(sync(client, r.alice(), null));
        CompletableFuture<Response> polling = CompletableFuture.supplyAsync(() ->
                EphemeralSync.raw(client, r.alice(), aliceSince, 20_000, null));
        Thread.sleep(300);
        long before = System.currentTimeMillis();
        postReceipt(r.bob(), r.id(), "m.read", first, Map.of()).expect(200);

        // Alice's long poll wakes with it.
        Map<String, Object> woken = polling.get(10, TimeUnit.SECONDS).expect(200).body();
        List<Map<String, Object>> events = ephemeral(woken, r.id(), "m.receipt");
        assertThat(events).hasSize(1);
        assertThat(events.get(0)).containsOnlyKeys("type", "content");
        Map<String, Object> content = EphemeralSync.map(events.get(0).get("content"));
        assertThat(content).containsOnlyKeys(first);
        assertThat(EphemeralSync.map(content.get(first))).containsOnlyKeys("m.read");
        Map<String, Object> data = receipt(woken, r.id(), first, "m.read", r.bob().userId());
        assertThat(data).containsOnlyKeys("ts");
        assertThat((Long) data.get("ts")).isBetween(before, System.currentTimeMillis());
        // The room is there for the receipt alone: its timeline has nothing new.
        assertThat(EphemeralSync.at(woken, "rooms", "join", r.id(), "timeline", "events")).isEqualTo(List.of());

        // Bob sees his own receipt too, and an initial sync shows every receipt of the room.
        assertThat(receipt(sync(client, r.bob(), null), r.id(), first, "m.read", r.bob().userId())).isEqualTo(data);
        // Nothing changed since: the next incremental sync has no receipt.
        assertThat(ephemeral(sync(client, r.alice(), next(woken)), r.id())).isEmpty();

        // A receipt further on moves it; one for an earlier event changes nothing (receipts mark "up to").
        String second = send(r.alice(), r.id(), "two");
        String since = next(sync(client, r.alice(), next(woken)));
        postReceipt(r.bob(), r.id(), "m.read", second, Map.of()).expect(200);
        Map<String, Object> moved = until(client, r.alice(), since, "bob's second receipt",
                b -> receipt(b, r.id(), second, "m.read", r.bob().userId()) != null);
        assertThat(receipt(moved, r.id(), first, "m.read", r.bob().userId())).isNull();
        postReceipt(r.bob(), r.id(), "m.read", first, null).expect(200);
        assertThat(ephemeral(sync(client, r.alice(), next(moved)), r.id())).isEmpty();
        assertThat(jdbc.queryForObject("select event_id from receipts where room_id = ? and user_id = ? "
                + "and receipt_type = 'm.read'", String.class, r.id(), r.bob().userId())).isEqualTo(second);
    }

    @Test
    void aPrivateReceiptIsSeenByItsOwnUserOnly() {
        Room r = room();
        String event = send(r.alice(), r.id(), "secret");
        String aliceSince = next(sync(client, r.alice(), null));
        String bobSince = next(sync(client, r.bob(), null));

        postReceipt(r.bob(), r.id(), "m.read.private", event, Map.of()).expect(200);
        Map<String, Object> bobs = until(client, r.bob(), bobSince, "his private receipt",
                b -> receipt(b, r.id(), event, "m.read.private", r.bob().userId()) != null);
        assertThat(receipt(bobs, r.id(), event, "m.read", r.bob().userId())).isNull();

        // Alice never hears of it; a public receipt after it is all she gets.
        postReceipt(r.bob(), r.id(), "m.read", event, Map.of()).expect(200);
        Map<String, Object> alices = until(client, r.alice(), aliceSince, "bob's public receipt",
                b -> receipt(b, r.id(), event, "m.read", r.bob().userId()) != null);
        assertThat(receipt(alices, r.id(), event, "m.read.private", r.bob().userId())).isNull();
        assertThat(EphemeralSync.at(sync(client, r.alice(), null), "rooms", "join", r.id(), "ephemeral").toString())
                .doesNotContain("m.read.private");
    }

    @Test
    void threadedReceiptsCarryTheirThreadAndMustMatchTheEvent() {
        Room r = room();
        String root = send(r.alice(), r.id(), "root");
        String inThread = sendInThread(r.alice(), r.id(), root, "reply");
        String reaction = client.put("/_matrix/client/v3/rooms/" + MatrixClient.encode(r.id()) + "/send/m.reaction/"
                + unique("t"), r.alice().accessToken(), Map.of("m.relates_to", Map.of("rel_type", "m.annotation",
                "event_id", inThread, "key", "+1"))).expect(200).string("event_id");
        String since = next(sync(client, r.alice(), null));

        postReceipt(r.bob(), r.id(), "m.read", root, Map.of("thread_id", "main")).expect(200);
        postReceipt(r.bob(), r.id(), "m.read", inThread, Map.of("thread_id", root)).expect(200);
        // An annotation of a threaded event is in the thread too (a relation to a relation).
        postReceipt(r.bob(), r.id(), "m.read.private", reaction, Map.of("thread_id", root)).expect(200);
        // The thread root itself may carry its thread's receipt.
        postReceipt(r.alice(), r.id(), "m.read", root, Map.of("thread_id", root)).expect(200);
        Map<String, Object> body = until(client, r.alice(), since, "the threaded receipts",
                b -> receipt(b, r.id(), inThread, "m.read", r.bob().userId()) != null);
        assertThat(receipt(body, r.id(), root, "m.read", r.bob().userId())).containsOnlyKeys("ts", "thread_id")
                .containsEntry("thread_id", "main");
        assertThat(receipt(body, r.id(), inThread, "m.read", r.bob().userId())).containsEntry("thread_id", root);
        assertThat(receipt(body, r.id(), root, "m.read", r.alice().userId())).containsEntry("thread_id", root);

        // An unthreaded receipt on the same event as a threaded one is another receipt: both are kept.
        postReceipt(r.bob(), r.id(), "m.read", root, Map.of()).expect(200);
        Map<String, Object> all = sync(client, r.alice(), null);
        List<Map<String, Object>> bobsOnRoot = ephemeral(all, r.id(), "m.receipt").stream()
                .map(e -> EphemeralSync.at(e, "content", root, "m.read", r.bob().userId()))
                .filter(Objects::nonNull).map(EphemeralSync::map).toList();
        assertThat(bobsOnRoot).extracting(d -> d.get("thread_id")).containsExactlyInAnyOrder("main", null);

        Response mainForAThreadedEvent = postReceipt(r.bob(), r.id(), "m.read", inThread, Map.of("thread_id", "main"));
        assertThat(mainForAThreadedEvent.status()).isEqualTo(400);
        assertThat(mainForAThreadedEvent.errcode()).isEqualTo("M_INVALID_PARAM");
        String other = send(r.alice(), r.id(), "elsewhere");
        Response wrongThread = postReceipt(r.bob(), r.id(), "m.read", other, Map.of("thread_id", root));
        assertThat(wrongThread.status()).isEqualTo(400);
        assertThat(wrongThread.errcode()).isEqualTo("M_INVALID_PARAM");
        assertThat(wrongThread.error()).contains(other).contains(root);
    }

    @Test
    void theFullyReadMarkerIsRoomAccountDataOfItsUserAndMovesForwardOnly() {
        Room r = room();
        String first = send(r.alice(), r.id(), "one");
        String second = send(r.alice(), r.id(), "two");
        String bobSince = next(sync(client, r.bob(), null));
        String aliceSince = next(sync(client, r.alice(), null));

        readMarkers(r.bob(), r.id(), Map.of("m.fully_read", second, "m.read", second, "m.read.private", first))
                .expect(200);
        Map<String, Object> bobs = until(client, r.bob(), bobSince, "his read markers",
                b -> !roomAccountData(b, r.id()).isEmpty());
        assertThat(roomAccountData(bobs, r.id())).containsExactly(Map.of("type", "m.fully_read",
                "content", Map.of("event_id", second)));
        assertThat(receipt(bobs, r.id(), second, "m.read", r.bob().userId())).isNotNull();
        assertThat(receipt(bobs, r.id(), first, "m.read.private", r.bob().userId())).isNotNull();
        // m.fully_read is never a receipt.
        assertThat(EphemeralSync.ephemeral(bobs, r.id()).toString()).doesNotContain("m.fully_read");

        // Alice sees bob's public receipt, not his marker.
        Map<String, Object> alices = until(client, r.alice(), aliceSince, "bob's receipt",
                b -> receipt(b, r.id(), second, "m.read", r.bob().userId()) != null);
        assertThat(roomAccountData(alices, r.id())).isEmpty();

        // Back to an earlier event: nothing moves. The /receipt endpoint sets the marker too.
        String since = next(bobs);
        postReceipt(r.bob(), r.id(), "m.fully_read", first, Map.of()).expect(200);
        readMarkers(r.bob(), r.id(), Map.of("m.fully_read", first)).expect(200);
        assertThat(roomAccountData(sync(client, r.bob(), since), r.id())).isEmpty();
        String third = send(r.alice(), r.id(), "three");
        since = next(sync(client, r.bob(), since));
        postReceipt(r.bob(), r.id(), "m.fully_read", third, Map.of()).expect(200);
        Map<String, Object> moved = until(client, r.bob(), since, "the marker on the third message",
                b -> !roomAccountData(b, r.id()).isEmpty());
        assertThat(roomAccountData(moved, r.id())).containsExactly(Map.of("type", "m.fully_read",
                "content", Map.of("event_id", third)));
        // An initial sync has it as well.
        assertThat(roomAccountData(sync(client, r.bob(), null), r.id())).containsExactly(Map.of("type", "m.fully_read",
                "content", Map.of("event_id", third)));
    }

    @Test
    void badCallsGetTheSpecsErrorsAndWriteNothing() {
        Room r = room();
        User carol = client.register(unique("carol"));
        String event = send(r.alice(), r.id(), "hello");
        String elsewhere = client.createRoom(carol, Map.of("preset", "public_chat"));
        String carolsEvent = send(carol, elsewhere, "not in alice's room");

        Response badType = postReceipt(r.bob(), r.id(), "m.seen", event, Map.of());
        assertThat(badType.status()).isEqualTo(400);
        assertThat(badType.errcode()).isEqualTo("M_INVALID_PARAM");
        assertThat(badType.error()).contains("m.seen");

        Response otherRoomsEvent = postReceipt(r.bob(), r.id(), "m.read", carolsEvent, Map.of());
        assertThat(otherRoomsEvent.status()).isEqualTo(404);
        assertThat(otherRoomsEvent.errcode()).isEqualTo("M_NOT_FOUND");
        Response unknownEvent = postReceipt(r.bob(), r.id(), "m.read", "$nothing", Map.of());
        assertThat(unknownEvent.status()).isEqualTo(404);
        assertThat(unknownEvent.errcode()).isEqualTo("M_NOT_FOUND");

        Response notJoined = postReceipt(carol, r.id(), "m.read", event, Map.of());
        assertThat(notJoined.status()).isEqualTo(403);
        assertThat(notJoined.errcode()).isEqualTo("M_FORBIDDEN");
        Response unknownRoom = postReceipt(r.bob(), "!nowhere:test.vestibule.invalid", "m.read", event, Map.of());
        assertThat(unknownRoom.status()).isEqualTo(403);
        assertThat(unknownRoom.errcode()).isEqualTo("M_FORBIDDEN");

        for (Object threadId : List.of("", 5L, "thread")) {
            Response badThread = postReceipt(r.bob(), r.id(), "m.read", event, Map.of("thread_id", threadId));
            assertThat(badThread.status()).as("thread_id %s", threadId).isEqualTo(400);
            assertThat(badThread.errcode()).isEqualTo("M_INVALID_PARAM");
        }
        Response threadedMarker = postReceipt(r.bob(), r.id(), "m.fully_read", event, Map.of("thread_id", "main"));
        assertThat(threadedMarker.status()).isEqualTo(400);
        assertThat(threadedMarker.errcode()).isEqualTo("M_INVALID_PARAM");
        assertThat(threadedMarker.error()).contains("m.fully_read");

        Response notString = readMarkers(r.bob(), r.id(), Map.of("m.fully_read", 7L));
        assertThat(notString.status()).isEqualTo(400);
        assertThat(notString.errcode()).isEqualTo("M_BAD_JSON");
        // One bad event among good ones: 404, and none of them is written.
        Response oneBad = readMarkers(r.bob(), r.id(), Map.of("m.read", event, "m.fully_read", carolsEvent));
        assertThat(oneBad.status()).isEqualTo(404);
        assertThat(oneBad.errcode()).isEqualTo("M_NOT_FOUND");
        Response markersNotJoined = readMarkers(carol, r.id(), Map.of("m.fully_read", event));
        assertThat(markersNotJoined.status()).isEqualTo(403);
        assertThat(markersNotJoined.errcode()).isEqualTo("M_FORBIDDEN");
        Response notJson = readMarkers(r.bob(), r.id(), "{".getBytes());
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(notJson.errcode()).isEqualTo("M_NOT_JSON");

        assertThat(jdbc.queryForObject("select count(*) from receipts where room_id = ?", Long.class, r.id())).isZero();
        assertThat(jdbc.queryForObject("select count(*) from account_data where room_id = ?", Long.class, r.id()))
                .isZero();
    }
}
