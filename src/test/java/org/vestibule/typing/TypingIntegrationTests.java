package org.vestibule.typing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.EphemeralSync.next;
import static org.vestibule.support.EphemeralSync.sync;
import static org.vestibule.support.EphemeralSync.typing;
import static org.vestibule.support.EphemeralSync.until;
import static org.vestibule.support.TestNames.unique;

import java.util.List;
import java.util.Map;
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

/** {@code PUT /rooms/{roomId}/typing/{userId}} and m.typing in /sync on one server. */
@VestibuleIntegrationTest
class TypingIntegrationTests {

    @LocalServerPort
    int port;

    @Autowired
    JdbcTemplate jdbc;

    MatrixClient client;

    @BeforeEach
    void client() {
        client = new MatrixClient("http://127.0.0.1:" + port);
    }

    Response type(User user, String room, String userId, Object body) {
        return client.put("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/typing/" + MatrixClient.encode(userId),
                user == null ? null : user.accessToken(), body);
    }

    /** Alice's public room with Bob in it. */
    record Room(User alice, User bob, String id) {}

    Room room() {
        User alice = client.register(unique("alice"));
        User bob = client.register(unique("bob"));
        String room = client.createRoom(alice, Map.of("preset", "public_chat"));
        client.join(bob, room).expect(200);
        return new Room(alice, bob, room);
    }

    @Test
    void typingShowsInTheOtherMembersSyncAndStoppingShowsTheEmptyList() {
        Room r = room();
        String since = next(sync(client, r.bob(), null));

        type(r.alice(), r.id(), r.alice().userId(), Map.of("typing", true, "timeout", 30_000)).expect(200);
        Map<String, Object> started = until(client, r.bob(), since, "alice typing",
                b -> typing(b, r.id()) != null);
        assertThat(typing(started, r.id())).containsExactly(r.alice().userId());
        // The spec's event shape: type and content.user_ids only (no room_id in a sync's ephemeral events).
        assertThat(EphemeralSync.ephemeral(started, r.id(), "m.typing").get(0))
                .isEqualTo(Map.of("type", "m.typing", "content", Map.of("user_ids", List.of(r.alice().userId()))));
        // An initial sync shows who types now.
        assertThat(typing(sync(client, r.bob(), null), r.id())).containsExactly(r.alice().userId());

        // Typing again only extends the time: the set did not change, so nothing new to tell.
        String afterStart = next(started);
        type(r.alice(), r.id(), r.alice().userId(), Map.of("typing", true, "timeout", 30_000)).expect(200);
        assertThat(typing(sync(client, r.bob(), afterStart), r.id())).isNull();

        type(r.alice(), r.id(), r.alice().userId(), Map.of("typing", false)).expect(200);
        Map<String, Object> stopped = until(client, r.bob(), afterStart, "alice stopping",
                b -> typing(b, r.id()) != null);
        assertThat(typing(stopped, r.id())).isEmpty();
        // Nothing typed: an initial sync has no m.typing at all.
        assertThat(typing(sync(client, r.bob(), null), r.id())).isNull();
    }

    @Test
    void aLongPollWakesWhenSomeoneStartsTyping() throws Exception {
        Room r = room();
        String since = next(sync(client, r.bob(), null));
        CompletableFuture<Response> polling = CompletableFuture.supplyAsync(() ->
                EphemeralSync.raw(client, r.bob(), since, 20_000, null));
        Thread.sleep(300);
        long started = System.nanoTime();
        type(r.alice(), r.id(), r.alice().userId(), Map.of("typing", true, "timeout", 10_000)).expect(200);
        Map<String, Object> body = polling.get(10, TimeUnit.SECONDS).expect(200).body();
        assertThat(typing(body, r.id())).containsExactly(r.alice().userId());
        assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(5_000);
    }

    @Test
    void twoTypersAreListedTogetherAndATimeoutEndsTyping() {
        Room r = room();
        String since = next(sync(client, r.alice(), null));
        type(r.alice(), r.id(), r.alice().userId(), Map.of("typing", true, "timeout", 30_000)).expect(200);
        type(r.bob(), r.id(), r.bob().userId(), Map.of("typing", true, "timeout", 30_000)).expect(200);
        Map<String, Object> both = until(client, r.alice(), since, "both typing",
                b -> typing(b, r.id()) != null && typing(b, r.id()).size() == 2);
        assertThat(typing(both, r.id())).containsExactlyInAnyOrder(r.alice().userId(), r.bob().userId());

        // Bob's new timeout replaces his old one; once it passes the set changes without anyone asking.
        type(r.bob(), r.id(), r.bob().userId(), Map.of("typing", true, "timeout", 200)).expect(200);
        Map<String, Object> after = until(client, r.alice(), next(both), "bob's timeout",
                b -> typing(b, r.id()) != null);
        assertThat(typing(after, r.id())).containsExactly(r.alice().userId());
    }

    @Test
    void theTimeoutIsCappedAtTwoMinutesAndDefaultsToThirtySeconds() {
        Room r = room();
        long before = System.currentTimeMillis();
        type(r.alice(), r.id(), r.alice().userId(), Map.of("typing", true, "timeout", 3_600_000)).expect(200);
        long expires = jdbc.queryForObject("select expires_ts from typing where room_id = ? and user_id = ?", Long.class,
                r.id(), r.alice().userId());
        assertThat(expires - before).isBetween(110_000L, 121_000L);

        type(r.bob(), r.id(), r.bob().userId(), Map.of("typing", true)).expect(200);
        long bobs = jdbc.queryForObject("select expires_ts from typing where room_id = ? and user_id = ?", Long.class,
                r.id(), r.bob().userId());
        assertThat(bobs - before).isBetween(20_000L, 31_000L);
    }

    @Test
    void badCallsGetTheSpecsErrors() {
        Room r = room();
        User carol = client.register(unique("carol"));
        String mine = r.alice().userId();
        Map<String, Object> typing = Map.of("typing", true, "timeout", 1000);

        Response someoneElses = type(r.alice(), r.id(), r.bob().userId(), typing);
        assertThat(someoneElses.status()).isEqualTo(403);
        assertThat(someoneElses.errcode()).isEqualTo("M_FORBIDDEN");
        assertThat(someoneElses.error()).contains(r.bob().userId());

        Response notJoined = type(carol, r.id(), carol.userId(), typing);
        assertThat(notJoined.status()).isEqualTo(403);
        assertThat(notJoined.errcode()).isEqualTo("M_FORBIDDEN");
        assertThat(notJoined.error()).isEqualTo("You are not joined to " + r.id());

        // An unknown room answers as a room one is not in: it does not tell whether the room exists.
        String unknown = "!nowhere:test.vestibule.invalid";
        Response unknownRoom = type(r.alice(), unknown, mine, typing);
        assertThat(unknownRoom.status()).isEqualTo(403);
        assertThat(unknownRoom.errcode()).isEqualTo("M_FORBIDDEN");
        assertThat(unknownRoom.error()).isEqualTo("You are not joined to " + unknown);

        client.leave(r.bob(), r.id()).expect(200);
        Response left = type(r.bob(), r.id(), r.bob().userId(), typing);
        assertThat(left.status()).isEqualTo(403);
        assertThat(left.errcode()).isEqualTo("M_FORBIDDEN");

        Response missing = type(r.alice(), r.id(), mine, Map.of("timeout", 1000));
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.errcode()).isEqualTo("M_MISSING_PARAM");
        assertThat(missing.error()).contains("typing");

        Response notBoolean = type(r.alice(), r.id(), mine, Map.of("typing", "yes"));
        assertThat(notBoolean.status()).isEqualTo(400);
        assertThat(notBoolean.errcode()).isEqualTo("M_BAD_JSON");

        Response badTimeout = type(r.alice(), r.id(), mine, Map.of("typing", true, "timeout", "soon"));
        assertThat(badTimeout.status()).isEqualTo(400);
        assertThat(badTimeout.errcode()).isEqualTo("M_BAD_JSON");

        Response negative = type(r.alice(), r.id(), mine, Map.of("typing", true, "timeout", -5));
        assertThat(negative.status()).isEqualTo(400);
        assertThat(negative.errcode()).isEqualTo("M_INVALID_PARAM");

        Response notJson = type(r.alice(), r.id(), mine, "{typing".getBytes());
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(notJson.errcode()).isEqualTo("M_NOT_JSON");

        Response badUser = type(r.alice(), r.id(), "alice", typing);
        assertThat(badUser.status()).isEqualTo(400);
        assertThat(badUser.errcode()).isEqualTo("M_INVALID_PARAM");

        Response anonymous = type(null, r.id(), mine, typing);
        assertThat(anonymous.status()).isEqualTo(401);
        assertThat(anonymous.errcode()).isEqualTo("M_MISSING_TOKEN");

        // None of that left anyone typing.
        assertThat(jdbc.queryForObject("select count(*) from typing where room_id = ?", Long.class, r.id())).isZero();
    }
}
