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

import static org.vestibule.support.Eventually.until;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.vestibule.interop.Interop.Member;
import org.vestibule.join.ForkedJoins;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.TestHomeservers;

/**
 * Vestibule's users join rooms that Synapse hosts: with full state, and with partial state
 * ({@code vestibule.join.partial-state}, a second Vestibule), and through failover.
 */
@DisplayName("Vestibule joins Synapse")
class VestibuleJoinsSynapseInteropTests {

    static Synapse synapse;
    static TestHomeservers servers;

    @BeforeAll
    static void start() {
        synapse = Synapse.get();
        // 0: full-state joins; 1: partial-state joins; 2: a resident that cannot authorise (failover).
        servers = Interop.vestibule(3, i -> i == 1 ? new String[] {"--vestibule.join.partial-state=true"} : new String[0]);
    }

    @AfterAll
    static void stop() {
        if (servers != null) {
            servers.close();
        }
    }

    /** How the Vestibule user's server joins: the server with {@code vestibule.join.partial-state} or the other. */
    enum JoinState {
        FULL, PARTIAL;

        @Override
        public String toString() {
            return this == FULL ? "full state" : "partial state";
        }
    }

    static Stream<Arguments> versionsAndStates(int from) {
        return Stream.of(JoinState.values()).flatMap(state -> IntStream.rangeClosed(from, 12)
                .mapToObj(version -> Arguments.of(version, state)));
    }

    static Stream<Arguments> allVersionsAndStates() {
        return versionsAndStates(1);
    }

    static Stream<Arguments> restrictedVersionsAndStates() {
        return versionsAndStates(8);
    }

    static Member dave(JoinState state) {
        return vestibuleUser(servers.get(state == JoinState.PARTIAL ? 1 : 0), "dave");
    }

    /** With partial state: the join asked Synapse to omit members, and the room ends with all of them anyway. */
    static void checkStateCaughtUp(JoinState state, String room, Member resident, Member joiner) {
        if (state != JoinState.PARTIAL) {
            return;
        }
        assertThat(synapse.log(50_000)).as("Synapse's access log: send_join with omit_members=true")
                .contains("send_join/" + MatrixClient.encode(room) + "/")
                .containsPattern("send_join/" + Pattern.quote(MatrixClient.encode(room)) + "/[^ ]*\\?omit_members=true");
        until(joiner.id() + "'s server listing every member of " + room,
                () -> joiner.joinedMembers(room).keySet().equals(resident.joinedMembers(room).keySet()));
    }

    static Member carol() {
        return synapseUser(synapse, "carol");
    }

    @ParameterizedTest(name = "public room, version {0}, {1}: join, messages and state both ways")
    @MethodSource("allVersionsAndStates")
    void joinsAPublicRoom(int version, JoinState state) {
        Member carol = carol();
        Member dave = dave(state);
        String room = carol.createRoom(publicRoom(version));
        dave.joins(room, synapse.serverName());
        carol.seesMembership(room, dave.id(), "join");
        exchange(room, carol, dave);
        checkStateCaughtUp(state, room, carol, dave);
    }

    @ParameterizedTest(name = "restricted room, version {0}, {1}: Synapse''s 403 outside the allowed room, joins once in it")
    @MethodSource("restrictedVersionsAndStates")
    void joinsARestrictedRoomThroughItsAllowedRoom(int version, JoinState state) {
        Member carol = carol();
        Member dave = dave(state);
        String allowed = carol.createRoom(publicRoom(version));
        String room = carol.createRoom(roomWithJoinRules(version, restricted("restricted", allowed, synapse.serverName())));

        Response refused = dave.join(room, synapse.serverName());
        assertThat(refused.status()).as(refused.raw()).isEqualTo(403);
        assertThat(refused.errcode()).isEqualTo("M_FORBIDDEN");

        dave.joins(allowed, synapse.serverName());
        dave.joins(room, synapse.serverName());
        carol.seesMembership(room, dave.id(), "join");
        assertThat(carol.state(room, "m.room.member", dave.id())).containsKey("join_authorised_via_users_server");
        exchange(room, carol, dave);
    }

    @Test
    @DisplayName("knock (version 7): the knock reaches Synapse, its invite lets the knocker in")
    void knocksAndIsLetIn() {
        Member carol = carol();
        Member dave = dave(JoinState.FULL);
        String room = carol.createRoom(roomWithJoinRules(7, Map.of("join_rule", "knock")));
        Response knocked = dave.knock(room, synapse.serverName());
        assertThat(knocked.status()).as(knocked.raw()).isEqualTo(200);
        carol.seesMembership(room, dave.id(), "knock");
        dave.seesInSync(room, "knock");
        carol.membershipAction(room, "invite", dave.id()).expect(200);
        dave.seesInvite(room);
        dave.joins(room, synapse.serverName());
        carol.seesMembership(room, dave.id(), "join");
        exchange(room, carol, dave);
    }

    @Test
    @DisplayName("knock_restricted (version 10): a member of the allowed room joins, anyone else knocks")
    void knockRestricted() {
        Member carol = carol();
        Member dave = dave(JoinState.FULL);
        Member erin = vestibuleUser(servers.get(0), "erin");
        String allowed = carol.createRoom(publicRoom(10));
        String room = carol.createRoom(roomWithJoinRules(10, restricted("knock_restricted", allowed, synapse.serverName())));
        dave.joins(allowed, synapse.serverName());
        dave.joins(room, synapse.serverName());
        carol.seesMembership(room, dave.id(), "join");

        Response refused = erin.join(room, synapse.serverName());
        assertThat(refused.status()).as(refused.raw()).isEqualTo(403);
        Response knocked = erin.knock(room, synapse.serverName());
        assertThat(knocked.status()).as(knocked.raw()).isEqualTo(200);
        carol.seesMembership(room, erin.id(), "knock");
        exchange(room, carol, dave);
    }

    @Test
    @DisplayName("restricted by a room only Vestibule hosts: Synapse cannot check and says so, then lets us in once it knows the membership")
    void restrictedByARoomOnlyVestibuleKnows() {
        Member carol = carol();
        Member dave = dave(JoinState.FULL);
        String allowed = dave.createRoom(publicRoom(10));
        String room = carol.createRoom(roomWithJoinRules(10, restricted("restricted", allowed, dave.server())));

        // Synapse answers 400 M_UNABLE_TO_AUTHORISE_JOIN; with no other server to try, our user hears of it.
        Response refused = dave.join(room, synapse.serverName());
        assertThat(refused.status()).as(refused.raw()).isEqualTo(400);
        assertThat(refused.errcode()).isEqualTo("M_UNABLE_TO_AUTHORISE_JOIN");
        assertThat(refused.error()).contains(synapse.serverName() + " (make_join): 400 M_UNABLE_TO_AUTHORISE_JOIN");

        // Synapse learns who is in the allowed room by joining it.
        carol.joins(allowed, dave.server());
        dave.joins(room, synapse.serverName());
        carol.seesMembership(room, dave.id(), "join");
        exchange(room, carol, dave);
    }

    static String largeRoom;
    static Member largeRoomCreator;

    /** A Synapse room of 300 members, made once for both join states. */
    static synchronized String largeRoom() throws Exception {
        if (largeRoom == null) {
            largeRoomCreator = carol();
            String room = largeRoomCreator.createRoom(publicRoom(10));
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> joins = new ArrayList<>();
                for (int i = 0; i < 299; i++) {
                    joins.add(pool.submit(() -> synapseUser(synapse, "member").joins(room)));
                }
                for (Future<?> f : joins) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
            largeRoom = room;
        }
        return largeRoom;
    }

    @ParameterizedTest(name = "a room of 300 members, {0}: joined, and every member known")
    @EnumSource(JoinState.class)
    void aLargeRoom(JoinState state) throws Exception {
        String room = largeRoom();
        Member dave = dave(state);
        dave.joins(room, synapse.serverName());
        until(dave.id() + "'s server listing all " + 301 + " members",
                () -> dave.joinedMembers(room).size() == largeRoomCreator.joinedMembers(room).size());
        exchange(room, largeRoomCreator, dave);
    }

    @ParameterizedTest(name = "invite, then accept, {0}")
    @EnumSource(JoinState.class)
    void inviteThenAccept(JoinState state) {
        Member carol = carol();
        Member dave = dave(state);
        String room = carol.createRoom(Map.of("preset", "private_chat", "room_version", "10"));
        carol.membershipAction(room, "invite", dave.id()).expect(200);
        dave.seesInvite(room);
        dave.joins(room, synapse.serverName());
        carol.seesMembership(room, dave.id(), "join");
        exchange(room, carol, dave);
    }

    @Test
    @DisplayName("invite, then reject")
    void inviteThenReject() {
        Member carol = carol();
        Member dave = dave(JoinState.FULL);
        String room = carol.createRoom(Map.of("preset", "private_chat", "room_version", "10"));
        carol.membershipAction(room, "invite", dave.id()).expect(200);
        dave.seesInvite(room);
        dave.leave(room).expect(200);
        carol.seesMembership(room, dave.id(), "leave");
        dave.seesInSync(room, "leave");
    }

    @Test
    @DisplayName("invites to a Synapse room we are in: stored in the room as Synapse's invite returns, so one is accepted and one refused at once")
    void invitesToARoomWeAreIn() {
        Member carol = carol();
        Member dave = dave(JoinState.FULL);
        Member erin = vestibuleUser(servers.get(0), "erin");
        Member frank = vestibuleUser(servers.get(0), "frank");
        String room = carol.createRoom(Map.of("preset", "private_chat", "room_version", "10"));
        carol.membershipAction(room, "invite", dave.id()).expect(200);
        dave.seesInvite(room);
        dave.joins(room, synapse.serverName());
        carol.membershipAction(room, "invite", erin.id()).expect(200);
        carol.membershipAction(room, "invite", frank.id()).expect(200);
        // Synapse's invite returned once we had signed it, and by then it was in our state of the room.
        assertThat(dave.membershipOf(room, erin.id())).isEqualTo("invite");
        assertThat(dave.membershipOf(room, frank.id())).isEqualTo("invite");
        erin.joins(room, synapse.serverName());
        frank.leave(room).expect(200);
        carol.seesMembership(room, erin.id(), "join");
        carol.seesMembership(room, frank.id(), "leave");
        exchange(room, carol, erin);
    }

    @Test
    @DisplayName("an invite Synapse rescinds: our user's /sync moves the room to leave, and the invite is over")
    void inviteRescinded() {
        Member carol = carol();
        Member dave = dave(JoinState.FULL);
        String room = carol.createRoom(Map.of("preset", "private_chat", "room_version", "10"));
        carol.membershipAction(room, "invite", dave.id()).expect(200);
        dave.seesInvite(room);
        carol.membershipAction(room, "kick", dave.id()).expect(200);
        dave.seesInSync(room, "leave");
        Response again = dave.leave(room);
        assertThat(again.status()).as(again.raw()).isEqualTo(404);
        assertThat(again.errcode()).isEqualTo("M_NOT_FOUND");
    }

    @Test
    @DisplayName("an invite to a Synapse room its inviter then left: the rejection goes through (Synapse still takes make_leave), and the invite is over")
    void inviteRejectedAfterTheInviterLeft() {
        Member carol = carol();
        Member dave = dave(JoinState.FULL);
        String room = carol.createRoom(Map.of("preset", "private_chat", "room_version", "10"));
        carol.membershipAction(room, "invite", dave.id()).expect(200);
        dave.seesInvite(room);
        carol.leave(room).expect(200);
        dave.leave(room).expect(200);
        dave.seesInSync(room, "leave");
        Response again = dave.leave(room);
        assertThat(again.status()).as(again.raw()).isEqualTo(404);
        assertThat(again.errcode()).isEqualTo("M_NOT_FOUND");
    }

    @ParameterizedTest(name = "leave, then rejoin, {0}")
    @EnumSource(JoinState.class)
    void leaveAndRejoin(JoinState state) {
        Member carol = carol();
        Member dave = dave(state);
        String room = carol.createRoom(publicRoom(10));
        dave.joins(room, synapse.serverName());
        carol.seesMembership(room, dave.id(), "join");
        dave.leave(room).expect(200);
        carol.seesMembership(room, dave.id(), "leave");
        dave.joins(room, synapse.serverName());
        carol.seesMembership(room, dave.id(), "join");
        exchange(room, carol, dave);
    }

    @Test
    @DisplayName("ban: the banned user is out and Synapse refuses the rejoin")
    void ban() {
        Member carol = carol();
        Member dave = dave(JoinState.FULL);
        String room = carol.createRoom(publicRoom(10));
        dave.joins(room, synapse.serverName());
        carol.seesMembership(room, dave.id(), "join");
        // Synced once while joined: an initial /sync lists no left rooms, so the ban must come after a token.
        dave.seesInSync(room, "join");
        carol.membershipAction(room, "ban", dave.id()).expect(200);
        dave.seesInSync(room, "leave");
        Response again = dave.join(room, synapse.serverName());
        assertThat(again.status()).as(again.raw()).isEqualTo(403);
        assertThat(again.errcode()).isEqualTo("M_FORBIDDEN");
    }

    @ParameterizedTest(name = "30 of our users joining a Synapse room at once, {0}: every one a member on both servers")
    @EnumSource(JoinState.class)
    void manyOfOurUsersJoinAtOnce(JoinState state) throws Exception {
        Member carol = carol();
        String room = carol.createRoom(publicRoom(10));
        List<Member> joiners = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            joiners.add(dave(state));
        }
        // Until the first join is stored, each goes through Synapse; the later answers lack the earlier joins.
        ExecutorService pool = Executors.newFixedThreadPool(10);
        try {
            List<Future<Response>> joins = new ArrayList<>();
            for (Member m : joiners) {
                joins.add(pool.submit(() -> m.join(room, synapse.serverName())));
            }
            for (int i = 0; i < joins.size(); i++) {
                Response r = joins.get(i).get();
                assertThat(r.status()).as("%s joining: %s", joiners.get(i).id(), r.raw()).isEqualTo(200);
            }
        } finally {
            pool.shutdown();
        }
        List<String> everyone = new ArrayList<>(List.of(carol.id()));
        joiners.forEach(m -> everyone.add(m.id()));
        Member first = joiners.get(0);
        until("both servers listing all 31 members", () -> carol.joinedMembers(room).keySet().containsAll(everyone)
                && first.joinedMembers(room).keySet().containsAll(everyone));
        for (Member m : joiners) {
            m.send(room, "hello from " + m.id());
        }
        carol.seesMessage(room, "hello from " + joiners.get(joiners.size() - 1).id());
    }

    @Test
    @DisplayName("25 of our users' joins made on one Synapse event: the next message is seen by all 25, whichever server merges the forks")
    void pastTwentyForkedJoinsOfOursAMessageIsSeenByAll() throws Exception {
        Member carol = carol();
        String room = carol.createRoom(membersOnlyHistoryRoom(10));
        List<Member> joiners = vestibuleUsers(servers.get(0), "fork", 25);
        // Every template before the first join: Synapse makes all 25 on the same event and answers each
        // with the state at it, so on our side each join is a fork of its own, more than an event may name.
        // Synapse merges them with dummy events of its own within seconds; ours merge what is left first.
        ForkedJoins.join(servers.get(0), synapse.serverName(), room, joiners.stream().map(Member::id).toList(), Set.of());

        joiners.get(0).send(room, "seen by all 25");
        for (Member m : joiners) {
            m.seesMessage(room, "seen by all 25");
        }
        carol.seesMessage(room, "seen by all 25");
        carol.send(room, "and carol answers");
        joiners.get(24).seesMessage(room, "and carol answers");
    }

    @Test
    @DisplayName("failover: past a Vestibule resident that answers M_UNABLE_TO_AUTHORISE_JOIN, joined through Synapse")
    void failsOverPastAResidentThatCannotAuthorise() {
        Member carol = carol();
        Member dave = dave(JoinState.FULL);
        Member frank = vestibuleUser(servers.get(2), "frank");
        String allowed = carol.createRoom(publicRoom(10));
        String room = carol.createRoom(roomWithJoinRules(10, restricted("restricted", allowed, synapse.serverName())));
        // frank's server is in the room through an invite, but not in the allowed room: it cannot check dave.
        carol.membershipAction(room, "invite", frank.id()).expect(200);
        frank.seesInvite(room);
        frank.joins(room, synapse.serverName());
        dave.joins(allowed, synapse.serverName());

        String intermediary = servers.get(2).serverName();
        dave.joins(room, intermediary, synapse.serverName());
        carol.seesMembership(room, dave.id(), "join");
        frank.seesMembership(room, dave.id(), "join");
        exchange(room, carol, dave);
    }

    @Test
    @DisplayName("every server fails: the error names each server and its answer")
    void allFailedNamesEachServer() {
        Member dave = dave(JoinState.FULL);
        String intermediary = servers.get(2).serverName();
        String unknown = "!nowhere" + System.nanoTime() + ":" + synapse.serverName();
        Response r = dave.join(unknown, intermediary, synapse.serverName());
        assertThat(r.status()).as(r.raw()).isEqualTo(404);
        assertThat(r.errcode()).isEqualTo("M_NOT_FOUND");
        assertThat(r.error()).contains(intermediary + " (make_join): 404 M_NOT_FOUND")
                .contains(synapse.serverName() + " (make_join): 404 M_NOT_FOUND");
    }

    @ParameterizedTest(name = "version 12, {0}: 20 joins in a row, each succeeds")
    @EnumSource(JoinState.class)
    void twentyVersion12Joins(JoinState state) {
        Member carol = carol();
        Member dave = dave(state);
        for (int i = 0; i < 20; i++) {
            String room = carol.createRoom(publicRoom(12));
            Response r = dave.join(room, synapse.serverName());
            assertThat(r.status()).as("join %d of 20: %s", i + 1, r.raw()).isEqualTo(200);
        }
    }
}
