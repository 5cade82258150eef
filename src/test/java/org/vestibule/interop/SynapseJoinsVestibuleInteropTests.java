package org.vestibule.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.interop.Interop.exchange;
import static org.vestibule.interop.Interop.publicRoom;
import static org.vestibule.interop.Interop.restricted;
import static org.vestibule.interop.Interop.roomWithJoinRules;
import static org.vestibule.interop.Interop.synapseUser;
import static org.vestibule.interop.Interop.membersOnlyHistoryRoom;
import static org.vestibule.interop.Interop.vestibuleUser;
import static org.vestibule.interop.Interop.vestibuleUsers;
import static org.vestibule.support.Eventually.eventually;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vestibule.interop.Interop.Member;
import org.vestibule.join.ForkedJoins;
import org.vestibule.room.LocalEvents;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.TestHomeservers;

/** Synapse's users join rooms that Vestibule hosts, and everything after a join flows both ways. */
@DisplayName("Synapse joins Vestibule")
class SynapseJoinsVestibuleInteropTests {

    static Synapse synapse;
    static TestHomeservers servers;
    static String vestibule;

    @BeforeAll
    static void start() {
        synapse = Synapse.get();
        // The second only joins rooms of the first, to make forks there (pastTwentyForksSynapseJoinsWithThemAll).
        servers = Interop.vestibule(2, i -> new String[0]);
        vestibule = servers.get(0).serverName();
    }

    @AfterAll
    static void stop() {
        if (servers != null) {
            servers.close();
        }
    }

    static Member alice() {
        return vestibuleUser(servers.get(0), "alice");
    }

    @Test
    @DisplayName("25 joins forked at our room: Synapse's join template merges them first, so Synapse holds every member")
    void pastTwentyForksSynapseJoinsWithThemAll() throws Exception {
        Member alice = alice();
        String room = alice.createRoom(membersOnlyHistoryRoom(10));
        List<Member> forkers = vestibuleUsers(servers.get(1), "fork", 25);
        List<String> ids = forkers.stream().map(Member::id).toList();
        // Each answer stored without the others' joins, as Synapse answers: 25 forks on both of ours.
        ForkedJoins.join(servers.get(1), vestibule, room, ids, Set.copyOf(ids));
        assertThat(servers.get(0).bean(LocalEvents.class).snapshot(room).extremities()).hasSize(25);

        Member bob = synapseUser(synapse, "bob");
        bob.joins(room, vestibule);
        // Synapse's state is the state at its join: every forked member is in it, not only 20 forks' worth.
        assertThat(bob.joinedMembers(room).keySet()).containsAll(ids).contains(alice.id(), bob.id());
        alice.send(room, "after the forks");
        bob.seesMessage(room, "after the forks");
        bob.send(room, "bob from Synapse");
        forkers.get(24).seesMessage(room, "bob from Synapse");
    }

    @ParameterizedTest(name = "public room, version {0}: join, messages and state both ways")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
    void joinsAPublicRoom(int version) {
        Member alice = alice();
        Member bob = synapseUser(synapse, "bob");
        String room = alice.createRoom(publicRoom(version));
        bob.joins(room, vestibule);
        alice.seesMembership(room, bob.id(), "join");
        exchange(room, alice, bob);
    }

    @ParameterizedTest(name = "restricted room, version {0}: 403 outside the allowed room, joins once in it")
    @ValueSource(ints = {8, 9, 10, 11, 12})
    void joinsARestrictedRoomThroughItsAllowedRoom(int version) {
        Member alice = alice();
        Member bob = synapseUser(synapse, "bob");
        String allowed = alice.createRoom(publicRoom(version));
        String room = alice.createRoom(roomWithJoinRules(version, restricted("restricted", allowed, vestibule)));

        Response refused = bob.join(room, vestibule);
        assertThat(refused.status()).as(refused.raw()).isEqualTo(403);
        assertThat(refused.errcode()).isEqualTo("M_FORBIDDEN");

        bob.joins(allowed, vestibule);
        bob.joins(room, vestibule);
        alice.seesMembership(room, bob.id(), "join");
        assertThat(alice.state(room, "m.room.member", bob.id()))
                .containsEntry("join_authorised_via_users_server", alice.id());
        exchange(room, alice, bob);
    }

    @Test
    @DisplayName("restricted by a room only Synapse hosts: refused while we cannot check, joins once we know the membership")
    void restrictedByARoomOnlySynapseKnows() {
        Member alice = alice();
        Member bob = synapseUser(synapse, "bob");
        String allowed = bob.createRoom(publicRoom(10));
        String room = alice.createRoom(roomWithJoinRules(10, restricted("restricted", allowed, synapse.serverName())));

        // We answer 400 M_UNABLE_TO_AUTHORISE_JOIN; Synapse, with no other server to try, tells its user 502.
        Response refused = bob.join(room, vestibule);
        assertThat(refused.status()).as(refused.raw()).isEqualTo(502);
        assertThat(alice.membershipOf(room, bob.id())).isNull();

        // Vestibule learns who is in the allowed room by joining it.
        alice.joins(allowed, synapse.serverName());
        bob.joins(room, vestibule);
        alice.seesMembership(room, bob.id(), "join");
        exchange(room, alice, bob);
    }

    @Test
    @DisplayName("knock (version 7): the knock reaches Vestibule, an invite lets the knocker in")
    void knocksAndIsLetIn() {
        Member alice = alice();
        Member bob = synapseUser(synapse, "bob");
        String room = alice.createRoom(roomWithJoinRules(7, Map.of("join_rule", "knock")));
        Response knocked = bob.knock(room, vestibule);
        assertThat(knocked.status()).as(knocked.raw()).isEqualTo(200);
        alice.seesMembership(room, bob.id(), "knock");
        alice.membershipAction(room, "invite", bob.id()).expect(200);
        bob.seesInvite(room);
        bob.joins(room, vestibule);
        alice.seesMembership(room, bob.id(), "join");
        exchange(room, alice, bob);
    }

    @Test
    @DisplayName("knock_restricted (version 10): a member of the allowed room joins, anyone else knocks")
    void knockRestricted() {
        Member alice = alice();
        Member bob = synapseUser(synapse, "bob");
        Member carol = synapseUser(synapse, "carol");
        String allowed = alice.createRoom(publicRoom(10));
        String room = alice.createRoom(roomWithJoinRules(10, restricted("knock_restricted", allowed, vestibule)));
        bob.joins(allowed, vestibule);
        bob.joins(room, vestibule);
        alice.seesMembership(room, bob.id(), "join");

        Response refused = carol.join(room, vestibule);
        assertThat(refused.status()).as(refused.raw()).isEqualTo(403);
        Response knocked = carol.knock(room, vestibule);
        assertThat(knocked.status()).as(knocked.raw()).isEqualTo(200);
        alice.seesMembership(room, carol.id(), "knock");
        exchange(room, alice, bob);
    }

    @Test
    @DisplayName("invite, then accept")
    void inviteThenAccept() {
        Member alice = alice();
        Member bob = synapseUser(synapse, "bob");
        String room = alice.createRoom(Map.of("preset", "private_chat", "room_version", "10"));
        alice.membershipAction(room, "invite", bob.id()).expect(200);
        bob.seesInvite(room);
        bob.joins(room, vestibule);
        alice.seesMembership(room, bob.id(), "join");
        exchange(room, alice, bob);
    }

    @Test
    @DisplayName("invite, then reject")
    void inviteThenReject() {
        Member alice = alice();
        Member bob = synapseUser(synapse, "bob");
        String room = alice.createRoom(Map.of("preset", "private_chat", "room_version", "10"));
        alice.membershipAction(room, "invite", bob.id()).expect(200);
        bob.seesInvite(room);
        bob.leave(room).expect(200);
        alice.seesMembership(room, bob.id(), "leave");
        bob.seesInSync(room, "leave");
    }

    @Test
    @DisplayName("leave, then rejoin")
    void leaveAndRejoin() {
        Member alice = alice();
        Member bob = synapseUser(synapse, "bob");
        String room = alice.createRoom(publicRoom(10));
        bob.joins(room, vestibule);
        alice.seesMembership(room, bob.id(), "join");
        bob.leave(room).expect(200);
        alice.seesMembership(room, bob.id(), "leave");
        bob.joins(room, vestibule);
        alice.seesMembership(room, bob.id(), "join");
        exchange(room, alice, bob);
    }

    @Test
    @DisplayName("ban: the banned user is out and cannot rejoin")
    void ban() {
        Member alice = alice();
        Member bob = synapseUser(synapse, "bob");
        String room = alice.createRoom(publicRoom(10));
        bob.joins(room, vestibule);
        alice.seesMembership(room, bob.id(), "join");
        // Synced once while joined: an initial /sync lists no left rooms, so the ban must come after a token.
        bob.seesInSync(room, "join");
        alice.membershipAction(room, "ban", bob.id()).expect(200);
        bob.seesInSync(room, "leave");
        Response again = bob.join(room, vestibule);
        assertThat(again.status()).as(again.raw()).isEqualTo(403);
        assertThat(alice.membershipOf(room, bob.id())).isEqualTo("ban");
    }

    @Test
    @DisplayName("kick: Synapse's user is out and may rejoin; a second kick, of one no longer in the room, is a 403")
    void kick() {
        Member alice = alice();
        Member bob = synapseUser(synapse, "bob");
        String room = alice.createRoom(publicRoom(10));
        bob.joins(room, vestibule);
        alice.seesMembership(room, bob.id(), "join");
        bob.seesInSync(room, "join");

        alice.membershipAction(room, "kick", bob.id()).expect(200);
        bob.seesInSync(room, "leave");
        bob.seesMembership(room, bob.id(), "leave");
        Response again = alice.membershipAction(room, "kick", bob.id());
        assertThat(again.status()).as(again.raw()).isEqualTo(403);
        assertThat(again.errcode()).isEqualTo("M_FORBIDDEN");

        bob.joins(room, vestibule);
        alice.seesMembership(room, bob.id(), "join");
    }

    @Test
    @DisplayName("a room of 300 members: Synapse joins with partial state and ends with every member")
    void aLargeRoom() throws Exception {
        Member alice = alice();
        String room = alice.createRoom(publicRoom(10));
        List<Future<?>> joins = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int i = 0; i < 299; i++) {
                joins.add(pool.submit(() -> vestibuleUser(servers.get(0), "member").joins(room)));
            }
            for (Future<?> f : joins) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        assertThat(alice.joinedMembers(room)).hasSize(300);

        Member bob = synapseUser(synapse, "bob");
        bob.joins(room, vestibule);
        assertThat(synapse.log(20_000)).as("Synapse's log: its join was a partial-state one")
                .contains("Syncing state for room " + room);
        eventually("Synapse showing all 301 members", () -> bob.joinedMembers(room).size() == 301 ? Boolean.TRUE : null);
        exchange(room, alice, bob);
    }
}
