package org.vestibule.presence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.EphemeralSync.next;
import static org.vestibule.support.EphemeralSync.presence;
import static org.vestibule.support.EphemeralSync.sync;
import static org.vestibule.support.TestNames.unique;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.vestibule.support.EphemeralSync;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.VestibuleIntegrationTest;

/** {@code PUT}/{@code GET /presence/{userId}/status}, {@code set_presence} and presence in /sync on one server. */
@VestibuleIntegrationTest
class PresenceIntegrationTests {

    @LocalServerPort
    int port;

    MatrixClient client;

    @BeforeEach
    void client() {
        client = new MatrixClient("http://127.0.0.1:" + port);
    }

    Response put(User user, String userId, Object body) {
        return client.put("/_matrix/client/v3/presence/" + MatrixClient.encode(userId) + "/status", user.accessToken(),
                body);
    }

    Response get(User user, String userId) {
        return client.get("/_matrix/client/v3/presence/" + MatrixClient.encode(userId) + "/status", user.accessToken());
    }

    Map<String, Object> syncWith(User user, String since, String setPresence) {
        return EphemeralSync.raw(client, user, since, 0, "set_presence=" + setPresence).expect(200).body();
    }

    @Test
    void oneSetsOnesOwnPresenceAndRoomMatesMayReadIt() {
        User alice = client.register(unique("alice"));
        User bob = client.register(unique("bob"));
        User carol = client.register(unique("carol"));
        String room = client.createRoom(alice, Map.of("preset", "public_chat"));
        client.join(bob, room).expect(200);

        // Nothing known yet: offline.
        assertThat(get(alice, alice.userId()).expect(200).body()).isEqualTo(Map.of("presence", "offline"));

        put(alice, alice.userId(), Map.of("presence", "online", "status_msg", "in a meeting")).expect(200);
        Map<String, Object> own = get(alice, alice.userId()).expect(200).body();
        assertThat(own).containsOnlyKeys("presence", "last_active_ago", "status_msg", "currently_active")
                .containsEntry("presence", "online").containsEntry("status_msg", "in a meeting")
                .containsEntry("currently_active", true);
        assertThat((Long) own.get("last_active_ago")).isBetween(0L, 10_000L);
        Map<String, Object> seenByBob = get(bob, alice.userId()).expect(200).body();
        assertThat(seenByBob).containsEntry("presence", "online").containsEntry("status_msg", "in a meeting");

        // Unavailable without a status message: the message is gone, currently_active is only for online.
        put(alice, alice.userId(), Map.of("presence", "unavailable")).expect(200);
        assertThat(get(bob, alice.userId()).expect(200).body()).containsOnlyKeys("presence", "last_active_ago")
                .containsEntry("presence", "unavailable");

        // Someone sharing no room may not look, whether or not the user exists.
        Response stranger = get(carol, alice.userId());
        assertThat(stranger.status()).isEqualTo(403);
        assertThat(stranger.errcode()).isEqualTo("M_FORBIDDEN");
        Response nobody = get(carol, "@nobody:test.vestibule.invalid");
        assertThat(nobody.status()).isEqualTo(403);
        assertThat(nobody.errcode()).isEqualTo("M_FORBIDDEN");
        // Once bob leaves, he shares no room with alice any more.
        client.leave(bob, room).expect(200);
        assertThat(get(bob, alice.userId()).status()).isEqualTo(403);
    }

    @Test
    void syncShowsOwnAndRoomMatesPresenceAndALongPollWakesOnAChange() throws Exception {
        User alice = client.register(unique("alice"));
        User bob = client.register(unique("bob"));
        String room = client.createRoom(alice, Map.of("preset", "public_chat"));
        client.join(bob, room).expect(200);
        sync(client, bob, null); // bob's client connects: online

        Map<String, Object> initial = sync(client, alice, null);
        assertThat(presence(initial, alice.userId())).containsEntry("presence", "online");
        Map<String, Object> bobs = presence(initial, bob.userId());
        assertThat(bobs).containsOnlyKeys("presence", "last_active_ago", "currently_active")
                .containsEntry("presence", "online").containsEntry("currently_active", true);
        List<?> events = (List<?>) EphemeralSync.at(initial, "presence", "events");
        assertThat(events).hasSize(2);
        assertThat(EphemeralSync.map(events.get(0))).containsOnlyKeys("type", "sender", "content")
                .containsEntry("type", "m.presence");

        // Nothing changed since: an incremental sync has no presence.
        String since = next(initial);
        Map<String, Object> quiet = sync(client, alice, since);
        assertThat(EphemeralSync.at(quiet, "presence", "events")).isEqualTo(List.of());

        String from = next(quiet);
        CompletableFuture<Response> polling = CompletableFuture.supplyAsync(() ->
                EphemeralSync.raw(client, alice, from, 20_000, null));
        Thread.sleep(300);
        put(bob, bob.userId(), Map.of("presence", "unavailable", "status_msg", "lunch")).expect(200);
        Map<String, Object> woken = polling.get(10, TimeUnit.SECONDS).expect(200).body();
        assertThat(presence(woken, bob.userId())).containsEntry("presence", "unavailable")
                .containsEntry("status_msg", "lunch");
        assertThat(presence(woken, alice.userId())).isNull();
    }

    @Test
    void setPresenceOnSyncDecidesWhatSyncingSays() {
        User dave = client.register(unique("dave"));
        client.createRoom(dave, Map.of("preset", "private_chat"));

        // offline: syncing does not mark dave online.
        Map<String, Object> first = syncWith(dave, null, "offline");
        assertThat(presence(first, dave.userId())).isNull();
        assertThat(get(dave, dave.userId()).expect(200).body()).isEqualTo(Map.of("presence", "offline"));

        Map<String, Object> idle = syncWith(dave, next(first), "unavailable");
        assertThat(presence(idle, dave.userId())).containsEntry("presence", "unavailable");

        // A sync without set_presence does not make an idle user active; doing something does.
        Map<String, Object> still = sync(client, dave, next(idle));
        assertThat(get(dave, dave.userId()).expect(200).body()).containsEntry("presence", "unavailable");
        String room = client.createRoom(dave, Map.of("preset", "private_chat"));
        client.sendMessage(dave, room, "back").expect(200);
        Map<String, Object> back = sync(client, dave, next(still));
        assertThat(presence(back, dave.userId())).containsEntry("presence", "online").containsEntry("currently_active", true);

        Response bad = EphemeralSync.raw(client, dave, null, 0, "set_presence=busy");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.errcode()).isEqualTo("M_INVALID_PARAM");
        assertThat(bad.error()).contains("set_presence");
    }

    @Test
    void badCallsGetTheSpecsErrors() {
        User alice = client.register(unique("alice"));
        User bob = client.register(unique("bob"));

        Response someoneElses = put(alice, bob.userId(), Map.of("presence", "online"));
        assertThat(someoneElses.status()).isEqualTo(403);
        assertThat(someoneElses.errcode()).isEqualTo("M_FORBIDDEN");
        Response badState = put(alice, alice.userId(), Map.of("presence", "busy"));
        assertThat(badState.status()).isEqualTo(400);
        assertThat(badState.errcode()).isEqualTo("M_INVALID_PARAM");
        Response missing = put(alice, alice.userId(), Map.of("status_msg", "hi"));
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.errcode()).isEqualTo("M_MISSING_PARAM");
        Response notString = put(alice, alice.userId(), Map.of("presence", "online", "status_msg", 5L));
        assertThat(notString.status()).isEqualTo(400);
        assertThat(notString.errcode()).isEqualTo("M_BAD_JSON");
        Response tooLong = put(alice, alice.userId(), Map.of("presence", "online", "status_msg", "x".repeat(2000)));
        assertThat(tooLong.status()).isEqualTo(400);
        assertThat(tooLong.errcode()).isEqualTo("M_INVALID_PARAM");
        Response notJson = put(alice, alice.userId(), "presence".getBytes());
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(notJson.errcode()).isEqualTo("M_NOT_JSON");
        Response badUser = get(alice, "bob");
        assertThat(badUser.status()).isEqualTo(400);
        assertThat(badUser.errcode()).isEqualTo("M_INVALID_PARAM");
        // None of that set anything.
        assertThat(get(alice, alice.userId()).expect(200).body()).isEqualTo(Map.of("presence", "offline"));
    }
}
