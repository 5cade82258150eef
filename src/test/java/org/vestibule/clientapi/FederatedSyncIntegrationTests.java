package org.vestibule.clientapi;

import static org.vestibule.support.TestNames.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.clientapi.Syncing.at;
import static org.vestibule.clientapi.Syncing.hasMember;
import static org.vestibule.clientapi.Syncing.ids;
import static org.vestibule.clientapi.Syncing.list;
import static org.vestibule.clientapi.Syncing.map;
import static org.vestibule.clientapi.Syncing.state;
import static org.vestibule.clientapi.Syncing.sync;
import static org.vestibule.clientapi.Syncing.timeline;
import static org.vestibule.clientapi.Syncing.types;
import static org.vestibule.clientapi.Syncing.until;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;

/**
 * /sync across two Vestibule servers, the way Complement drives a server: every wait is its
 * MustSyncUntil, incremental syncs with timeout=1000 that must succeed within 5 s.
 */
class FederatedSyncIntegrationTests {

    static TestHomeservers servers;
    static MatrixClient hs1;
    static MatrixClient hs2;
    static String hs1Name;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(2);
        hs1 = new MatrixClient(servers.get(0).clientBaseUrl());
        hs2 = new MatrixClient(servers.get(1).clientBaseUrl());
        hs1Name = servers.get(0).serverName();
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    static Response act(User actor, String room, String action, String target) {
        return hs1.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/" + action, actor.accessToken(),
                Map.of("user_id", target));
    }

    static String next(Map<String, Object> body) {
        return (String) body.get("next_batch");
    }

    /** Complement's SyncJoinedTo: the join in the room's timeline or state. */
    static boolean joinedTo(Map<String, Object> body, String room, String userId) {
        return hasMember(timeline(body, "join", room), userId, "join") || hasMember(state(body, "join", room), userId, "join");
    }

    @Test
    void aRemoteJoinAndRemoteMessagesReachSyncPromptly() throws Exception {
        User alice = hs1.register(unique("alice"));
        User bob = hs2.register(unique("bob"));
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat", "name", "Federated"));
        String aliceSince = next(sync(hs1, alice, null));

        hs2.join(bob, room, hs1Name).expect(200);

        // Bob's first sync: the room with its whole state, his join last.
        Map<String, Object> first = until(hs2, bob, null, "his join", b -> joinedTo(b, room, bob.userId()));
        List<Map<String, Object>> bobTimeline = timeline(first, "join", room);
        assertThat(hasMember(bobTimeline, bob.userId(), "join")).isTrue();
        List<Map<String, Object>> all = new ArrayList<>(state(first, "join", room));
        all.addAll(bobTimeline);
        assertThat(types(all)).contains("m.room.create", "m.room.power_levels", "m.room.join_rules", "m.room.name");
        assertThat(hasMember(all, alice.userId(), "join")).isTrue();
        assertThat(ids(all)).doesNotHaveDuplicates();
        assertThat(at(first, "rooms", "join", room, "summary")).isEqualTo(Map.of("m.heroes", List.of(alice.userId()),
                "m.joined_member_count", 2L, "m.invited_member_count", 0L));
        until(hs1, alice, aliceSince, "bob's join", b -> hasMember(timeline(b, "join", room), bob.userId(), "join"));

        // A long poll on hs2 answers with alice's message from hs1.
        String since = next(first);
        long started = System.nanoTime();
        CompletableFuture<Response> polling = CompletableFuture.supplyAsync(() -> Syncing.raw(hs2, bob, since, 20_000));
        Thread.sleep(300);
        String hello = hs1.sendMessage(alice, room, "hello from hs1").expect(200).string("event_id");
        Map<String, Object> woken = polling.get(10, TimeUnit.SECONDS).expect(200).body();
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        if (!ids(timeline(woken, "join", room)).contains(hello)) {
            // The poll may have been woken by something else of the room first; the next one must have it.
            woken = until(hs2, bob, next(woken), "alice's message", b -> ids(timeline(b, "join", room)).contains(hello));
            tookMs = (System.nanoTime() - started) / 1_000_000;
        }
        assertThat(tookMs).isLessThan(Syncing.BUDGET_MS);
        Map<String, Object> message = timeline(woken, "join", room).stream()
                .filter(e -> hello.equals(e.get("event_id"))).findFirst().orElseThrow();
        assertThat(message).containsEntry("sender", alice.userId()).containsEntry("room_id", room)
                .containsEntry("content", Map.of("msgtype", "m.text", "body", "hello from hs1"));
        assertThat(map(message, "unsigned")).containsOnlyKeys("age");

        String reply = hs2.sendMessage(bob, room, "hello from hs2").expect(200).string("event_id");
        until(hs1, alice, aliceSince, "bob's reply", b -> ids(timeline(b, "join", room)).contains(reply));
    }

    @Test
    void aFederatedInviteShowsItsInviteStateAndRejectingItShowsLeave() {
        User alice = hs1.register(unique("alice"));
        User carol = hs2.register(unique("carol"));
        String room = hs1.createRoom(alice, Map.of("preset", "private_chat", "name", "Secret"));
        String since = next(sync(hs2, carol, null));

        act(alice, room, "invite", carol.userId()).expect(200);
        Map<String, Object> invited = until(hs2, carol, since, "the invite",
                b -> map(b, "rooms", "invite").containsKey(room));
        assertThat(map(invited, "rooms", "invite", room)).containsOnlyKeys("invite_state");
        List<Map<String, Object>> inviteState = list(invited, "rooms", "invite", room, "invite_state", "events");
        assertThat(types(inviteState)).contains("m.room.create", "m.room.name", "m.room.join_rules");
        for (Map<String, Object> stripped : inviteState.subList(0, inviteState.size() - 1)) {
            assertThat(stripped).containsOnlyKeys("content", "sender", "state_key", "type");
            assertThat(stripped.get("state_key")).isNotEqualTo(carol.userId());
        }
        Map<String, Object> invite = inviteState.get(inviteState.size() - 1);
        assertThat(invite).containsOnlyKeys("content", "event_id", "origin_server_ts", "room_id", "sender", "state_key",
                "type", "unsigned");
        assertThat(invite).containsEntry("sender", alice.userId()).containsEntry("state_key", carol.userId());
        assertThat(at(invite, "content", "membership")).isEqualTo("invite");
        assertThat(map(invited, "rooms", "join")).doesNotContainKey(room);

        // Rejected through hs1: the room moves to leave, its timeline the leave that hs1 took.
        hs2.leave(carol, room).expect(200);
        Map<String, Object> rejected = until(hs2, carol, next(invited), "the rejection",
                b -> map(b, "rooms", "leave").containsKey(room));
        assertEndedBy(rejected, room, carol.userId(), carol.userId(), null);
        assertThat(hs1.getState(alice, room, "m.room.member", carol.userId()).expect(200).body())
                .containsEntry("membership", "leave");

        // Invited again and accepting: the room arrives in join with its whole state.
        act(alice, room, "invite", carol.userId()).expect(200);
        Map<String, Object> again = until(hs2, carol, next(rejected), "the second invite",
                b -> map(b, "rooms", "invite").containsKey(room));
        hs2.join(carol, room, hs1Name).expect(200);
        Map<String, Object> joined = until(hs2, carol, next(again), "her join", b -> joinedTo(b, room, carol.userId()));
        assertThat(map(joined, "rooms", "invite")).doesNotContainKey(room);
        List<Map<String, Object>> everything = new ArrayList<>(state(joined, "join", room));
        everything.addAll(timeline(joined, "join", room));
        assertThat(types(everything)).contains("m.room.create", "m.room.name", "m.room.power_levels");
    }

    /** alice of hs1 invites carol of hs2 to a new private room; carol's sync once the invite is there. */
    record Invited(User alice, User carol, String room, Map<String, Object> sync) {}

    static Invited invitedAcrossServers() {
        User alice = hs1.register(unique("alice"));
        User carol = hs2.register(unique("carol"));
        String room = hs1.createRoom(alice, Map.of("preset", "private_chat"));
        String since = next(sync(hs2, carol, null));
        act(alice, room, "invite", carol.userId()).expect(200);
        return new Invited(alice, carol, room, until(hs2, carol, since, "the invite",
                b -> map(b, "rooms", "invite").containsKey(room)));
    }

    /** A left room's section holding one event, the leave that ended the invite, and nothing else. */
    static void assertEndedBy(Map<String, Object> body, String room, String sender, String userId, String reason) {
        assertThat(map(body, "rooms", "invite")).doesNotContainKey(room);
        assertThat(map(body, "rooms", "leave", room)).containsOnlyKeys("state", "timeline", "account_data");
        assertThat(list(body, "rooms", "leave", room, "state", "events")).isEmpty();
        List<Map<String, Object>> leaveTimeline = timeline(body, "leave", room);
        assertThat(leaveTimeline).hasSize(1);
        assertThat(leaveTimeline.get(0)).containsEntry("type", "m.room.member").containsEntry("sender", sender)
                .containsEntry("state_key", userId).containsEntry("room_id", room).containsKey("event_id");
        assertThat(at(leaveTimeline.get(0), "content", "membership")).isEqualTo("leave");
        if (reason != null) {
            assertThat(at(leaveTimeline.get(0), "content", "reason")).isEqualTo(reason);
        }
    }

    @Test
    void aRescindedFederatedInviteShowsTheKickThatEndedIt() {
        Invited i = invitedAcrossServers();
        hs1.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(i.room()) + "/kick", i.alice().accessToken(),
                Map.of("user_id", i.carol().userId(), "reason", "sent to the wrong carol")).expect(200);
        Map<String, Object> rescinded = until(hs2, i.carol(), next(i.sync()), "the rescinded invite",
                b -> map(b, "rooms", "leave").containsKey(i.room()));
        assertEndedBy(rescinded, i.room(), i.alice().userId(), i.carol().userId(), "sent to the wrong carol");
        // Over, for carol: a leave of hers now is refused as for any room she is not in.
        Response again = hs2.leave(i.carol(), i.room());
        assertThat(again.status()).isEqualTo(404);
        assertThat(again.errcode()).isEqualTo("M_NOT_FOUND");
    }

    @Test
    void anInviteToARoomItsServerLeftIsRejectedOnThisServerAlone() {
        Invited i = invitedAcrossServers();
        hs1.leave(i.alice(), i.room()).expect(200); // hs1 is out of the room: its make_leave is a 404 now

        hs2.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(i.room()) + "/leave", i.carol().accessToken(),
                Map.of("reason", "not interested")).expect(200);
        Map<String, Object> rejected = until(hs2, i.carol(), next(i.sync()), "the rejection",
                b -> map(b, "rooms", "leave").containsKey(i.room()));
        assertEndedBy(rejected, i.room(), i.carol().userId(), i.carol().userId(), "not interested");
        Map<String, Object> later = sync(hs2, i.carol(), next(rejected));
        assertThat(map(later, "rooms", "invite")).doesNotContainKey(i.room());
        assertThat(map(later, "rooms", "leave")).doesNotContainKey(i.room());
    }

    @Test
    void aFederatedKnockShowsItsKnockStateUntilTheKnockIsAnswered() {
        User alice = hs1.register(unique("alice"));
        User charlie = hs2.register(unique("charlie"));
        String room = hs1.createRoom(alice, Map.of("preset", "private_chat", "room_version", "7"));
        hs1.sendState(alice, room, "m.room.join_rules", "", Map.of("join_rule", "knock")).expect(200);
        String aliceSince = next(sync(hs1, alice, null));
        String since = next(sync(hs2, charlie, null));

        hs2.post("/_matrix/client/v3/knock/" + MatrixClient.encode(room) + "?server_name=" + MatrixClient.encode(hs1Name),
                charlie.accessToken(), Map.of("reason", "knock knock")).expect(200);
        Map<String, Object> knocked = until(hs2, charlie, since, "the knock",
                b -> map(b, "rooms", "knock").containsKey(room));
        List<Map<String, Object>> knockState = list(knocked, "rooms", "knock", room, "knock_state", "events");
        assertThat(types(knockState)).contains("m.room.create", "m.room.join_rules");
        Map<String, Object> knock = knockState.get(knockState.size() - 1);
        assertThat(knock).containsEntry("sender", charlie.userId()).containsEntry("state_key", charlie.userId());
        assertThat(at(knock, "content", "membership")).isEqualTo("knock");
        assertThat(at(knock, "content", "reason")).isEqualTo("knock knock");
        // Complement: "Users in the room see a user's membership update when they knock".
        until(hs1, alice, aliceSince, "charlie's knock", b -> timeline(b, "join", room).stream().anyMatch(e ->
                charlie.userId().equals(e.get("state_key")) && "knock knock".equals(at(e, "content", "reason"))));

        // Accepted: the knock becomes an invite.
        act(alice, room, "invite", charlie.userId()).expect(200);
        Map<String, Object> invited = until(hs2, charlie, next(knocked), "the invite",
                b -> map(b, "rooms", "invite").containsKey(room));
        assertThat(map(invited, "rooms", "knock")).doesNotContainKey(room);
        assertThat(hasMember(list(invited, "rooms", "invite", room, "invite_state", "events"), charlie.userId(), "invite"))
                .isTrue();
    }

    @Test
    void aRemoteUserKickedFromTheRoomSeesItInLeave() {
        User alice = hs1.register(unique("alice"));
        User bob = hs2.register(unique("bob"));
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        hs2.join(bob, room, hs1Name).expect(200);
        Map<String, Object> joined = until(hs2, bob, null, "his join", b -> joinedTo(b, room, bob.userId()));

        act(alice, room, "kick", bob.userId()).expect(200);
        Map<String, Object> kicked = until(hs2, bob, next(joined), "the kick",
                b -> map(b, "rooms", "leave").containsKey(room));
        List<Map<String, Object>> events = timeline(kicked, "leave", room);
        Map<String, Object> kick = events.get(events.size() - 1);
        assertThat(kick).containsEntry("sender", alice.userId()).containsEntry("state_key", bob.userId());
        assertThat(at(kick, "content", "membership")).isEqualTo("leave");
        assertThat(map(kicked, "rooms", "join")).doesNotContainKey(room);
    }
}
