package org.vestibule.presence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.Eventually.eventually;
import static org.vestibule.support.EphemeralSync.next;
import static org.vestibule.support.EphemeralSync.presence;
import static org.vestibule.support.EphemeralSync.sync;
import static org.vestibule.support.EphemeralSync.until;
import static org.vestibule.support.TestNames.unique;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.core.JdbcTemplate;
import org.vestibule.support.EphemeralSync;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.ShiftedClock;
import org.vestibule.support.VestibuleIntegrationTest;

/**
 * Presence's timeouts with a clock the test moves: offline once a user stops syncing (not while a
 * long poll waits), no longer
 * currently active a minute after their last action, idle after five minutes, online again on activity.
 */
@VestibuleIntegrationTest
@Import(PresenceTimeoutsIntegrationTests.Clocks.class)
class PresenceTimeoutsIntegrationTests {

    @TestConfiguration
    static class Clocks {
        @Bean
        @Primary
        ShiftedClock shiftedClock() {
            return new ShiftedClock();
        }
    }

    @LocalServerPort
    int port;

    @Autowired
    ShiftedClock clock;

    @Autowired
    Presence presence;

    @Autowired
    JdbcTemplate jdbc;

    MatrixClient client;

    @BeforeEach
    void client() {
        client = new MatrixClient("http://127.0.0.1:" + port);
    }

    Map<String, Object> presenceOf(User asker, User user) {
        return client.get("/_matrix/client/v3/presence/" + MatrixClient.encode(user.userId()) + "/status",
                asker.accessToken()).expect(200).body();
    }

    @Test
    void aUserWhoStopsSyncingGoesOfflineAndRoomMatesAreTold() {
        User alice = client.register(unique("alice"));
        User bob = client.register(unique("bob"));
        String room = client.createRoom(alice, Map.of("preset", "public_chat"));
        client.join(bob, room).expect(200);
        sync(client, bob, null);
        String since = next(sync(client, alice, null));
        assertThat(presenceOf(alice, bob)).containsEntry("presence", "online");

        clock.advance(Duration.ofSeconds(31));
        // Alice keeps syncing, across the jump and after it; bob does not.
        Map<String, Object> told = until(client, alice, since, "bob going offline",
                b -> presence(b, bob.userId()) != null);
        assertThat(presence(told, bob.userId())).containsEntry("presence", "offline").doesNotContainKey("currently_active");
        assertThat(presenceOf(alice, bob)).containsEntry("presence", "offline");
    }

    @Test
    void aLongPollKeepsItsUserOnlineWhileItWaits() throws Exception {
        User erin = client.register(unique("erin"));
        String room = client.createRoom(erin, Map.of("preset", "private_chat"));
        String since = next(sync(client, erin, null));
        CompletableFuture<MatrixClient.Response> polling = CompletableFuture.supplyAsync(() ->
                EphemeralSync.raw(client, erin, since, 20_000, null));
        eventually("the long poll counted as connected for its 20 s", () -> jdbc.queryForObject(
                "select last_seen_ts from presence where user_id = ?", Long.class, erin.userId())
                > clock.millis() + 10_000 ? true : null);

        // 31 s on, the poll started 31 s ago but may still be waiting: erin stays online.
        clock.advance(Duration.ofSeconds(31));
        presence.sweep();
        assertThat(presenceOf(erin, erin)).containsEntry("presence", "online");
        // 30 s after the latest it could have ended: offline.
        clock.advance(Duration.ofSeconds(20));
        presence.sweep();
        assertThat(presenceOf(erin, erin)).containsEntry("presence", "offline");

        client.sendMessage(erin, room, "wake up").expect(200);
        assertThat(polling.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
    }

    @Test
    void withoutActivityASyncingUserIsNoLongerCurrentlyActiveThenIdleAndActivityBringsThemBack() {
        User dave = client.register(unique("dave"));
        String room = client.createRoom(dave, Map.of("preset", "private_chat"));
        String since = next(sync(client, dave, null));
        assertThat(presenceOf(dave, dave)).containsEntry("presence", "online").containsEntry("currently_active", true);

        // Twenty seconds at a time, syncing between the jumps, so that dave never stops syncing for 30 s.
        for (int i = 0; i < 4; i++) {
            clock.advance(Duration.ofSeconds(20));
            since = next(sync(client, dave, since));
        }
        eventually("dave no longer currently active", () ->
                Boolean.FALSE.equals(presenceOf(dave, dave).get("currently_active")) ? true : null);
        assertThat(presenceOf(dave, dave)).containsEntry("presence", "online");

        for (int i = 0; i < 12; i++) {
            clock.advance(Duration.ofSeconds(20));
            since = next(sync(client, dave, since));
        }
        eventually("dave idle", () -> "unavailable".equals(presenceOf(dave, dave).get("presence")) ? true : null);
        assertThat((Long) presenceOf(dave, dave).get("last_active_ago")).isGreaterThanOrEqualTo(300_000L);

        client.sendMessage(dave, room, "back").expect(200);
        Map<String, Object> back = presenceOf(dave, dave);
        assertThat(back).containsEntry("presence", "online").containsEntry("currently_active", true);
        assertThat((Long) back.get("last_active_ago")).isLessThan(10_000L);
    }
}
