package org.vestibule.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.interop.Interop.publicRoom;
import static org.vestibule.interop.Interop.synapseUser;
import static org.vestibule.interop.Interop.vestibuleUser;
import static org.vestibule.support.EphemeralSync.presence;
import static org.vestibule.support.EphemeralSync.receipt;
import static org.vestibule.support.EphemeralSync.typing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.vestibule.interop.Interop.Member;
import org.vestibule.support.EphemeralSync;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.TestHomeservers;

/**
 * Typing, read receipts and presence between Synapse's users and Vestibule's, both ways: what one
 * side's user does reaches the other side's user's incremental /sync as m.typing, m.receipt and
 * m.presence.
 */
@DisplayName("Ephemeral events")
class EphemeralInteropTests {

    static Synapse synapse;
    static TestHomeservers servers;
    static String vestibule;

    @BeforeAll
    static void start() {
        synapse = Synapse.get();
        servers = Interop.vestibule(1, i -> new String[0]);
        vestibule = servers.get(0).serverName();
    }

    @AfterAll
    static void stop() {
        if (servers != null) {
            servers.close();
        }
    }

    /** A user's incremental syncs from a first one (Synapse caches a repeated initial sync). */
    static final class Syncer {
        private final Member member;
        private String since;

        Syncer(Member member) {
            this.member = member;
            this.since = next(member, null, 0);
        }

        private static String next(Member member, String since, long timeout) {
            return member.client().get("/_matrix/client/v3/sync?timeout=" + timeout + (since == null ? ""
                    : "&since=" + MatrixClient.encode(since)), member.user().accessToken()).expect(200).string("next_batch");
        }

        /** Syncs on from where this user got to until an answer satisfies the check (60 s at most); returns it. */
        Map<String, Object> until(String what, Predicate<Map<String, Object>> check) {
            long deadline = System.currentTimeMillis() + 60_000;
            List<Object> seen = new ArrayList<>();
            while (System.currentTimeMillis() < deadline) {
                Map<String, Object> body = member.client().get("/_matrix/client/v3/sync?timeout=2000&since="
                        + MatrixClient.encode(since), member.user().accessToken()).expect(200).body();
                since = (String) body.get("next_batch");
                if (check.test(body)) {
                    return body;
                }
                seen.add(EphemeralSync.at(body, "rooms", "join"));
            }
            throw new AssertionError(member.id() + " did not see " + what + " within 60 s; saw " + seen);
        }
    }

    static void type(Member member, String room, boolean typing) {
        member.client().put("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/typing/"
                + MatrixClient.encode(member.id()), member.user().accessToken(),
                typing ? Map.of("typing", true, "timeout", 30_000) : Map.of("typing", false)).expect(200);
    }

    static void read(Member member, String room, String eventId) {
        member.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/receipt/m.read/"
                + MatrixClient.encode(eventId), Map.of()).expect(200);
    }

    static void setPresence(Member member, String presence, String statusMsg) {
        member.client().put("/_matrix/client/v3/presence/" + MatrixClient.encode(member.id()) + "/status",
                member.user().accessToken(), Map.of("presence", presence, "status_msg", statusMsg)).expect(200);
    }

    /** A room Vestibule hosts with Synapse's user joined. */
    static String vestibuleRoom(Member ours, Member theirs) {
        String room = ours.createRoom(publicRoom(10));
        theirs.joins(room, vestibule);
        ours.seesMembership(room, theirs.id(), "join");
        return room;
    }

    @Test
    @DisplayName("typing: Synapse's user seen typing in Vestibule's /sync, ours in Synapse's, and both stopping")
    void typingBothWays() {
        Member dave = vestibuleUser(servers.get(0), "dave");
        Member carol = synapseUser(synapse, "carol");
        String room = vestibuleRoom(dave, carol);
        Syncer daves = new Syncer(dave);
        Syncer carols = new Syncer(carol);

        type(carol, room, true);
        assertThat(typing(daves.until("carol typing", b -> typing(b, room) != null && !typing(b, room).isEmpty()), room))
                .containsExactly(carol.id());
        type(dave, room, true);
        assertThat(typing(carols.until("dave typing", b -> typing(b, room) != null
                && typing(b, room).contains(dave.id())), room)).contains(dave.id());

        type(carol, room, false);
        type(dave, room, false);
        daves.until("carol stopping", b -> typing(b, room) != null && !typing(b, room).contains(carol.id()));
        carols.until("dave stopping", b -> typing(b, room) != null && !typing(b, room).contains(dave.id()));
    }

    @Test
    @DisplayName("read receipts: Synapse's user's seen in Vestibule's /sync, ours in Synapse's (room on Synapse)")
    void receiptsBothWays() {
        Member dave = vestibuleUser(servers.get(0), "dave");
        Member carol = synapseUser(synapse, "carol");
        String room = carol.createRoom(publicRoom(10));
        dave.joins(room, synapse.serverName());
        carol.seesMembership(room, dave.id(), "join");
        Syncer daves = new Syncer(dave);
        Syncer carols = new Syncer(carol);

        String fromCarol = carol.send(room, "read this, dave");
        dave.seesMessage(room, "read this, dave");
        read(dave, room, fromCarol);
        Map<String, Object> carolSees = carols.until("dave's receipt",
                b -> receipt(b, room, fromCarol, "m.read", dave.id()) != null);
        assertThat(receipt(carolSees, room, fromCarol, "m.read", dave.id())).containsKey("ts");

        String fromDave = dave.send(room, "read this, carol");
        carol.seesMessage(room, "read this, carol");
        read(carol, room, fromDave);
        Map<String, Object> daveSees = daves.until("carol's receipt",
                b -> receipt(b, room, fromDave, "m.read", carol.id()) != null);
        assertThat(receipt(daveSees, room, fromDave, "m.read", carol.id())).containsKey("ts");
    }

    @Test
    @DisplayName("presence: Synapse's user's seen in Vestibule's /sync and GET, ours in Synapse's /sync")
    void presenceBothWays() {
        Member dave = vestibuleUser(servers.get(0), "dave");
        Member carol = synapseUser(synapse, "carol");
        String room = vestibuleRoom(dave, carol);
        Syncer daves = new Syncer(dave);
        Syncer carols = new Syncer(carol);

        setPresence(carol, "unavailable", "at Synapse");
        Map<String, Object> daveSees = daves.until("carol's presence", b -> presence(b, carol.id()) != null
                && "at Synapse".equals(presence(b, carol.id()).get("status_msg")));
        assertThat(presence(daveSees, carol.id())).containsEntry("presence", "unavailable");
        assertThat(dave.client().get("/_matrix/client/v3/presence/" + MatrixClient.encode(carol.id()) + "/status",
                dave.user().accessToken()).expect(200).body()).containsEntry("status_msg", "at Synapse");

        setPresence(dave, "online", "at Vestibule");
        Map<String, Object> carolSees = carols.until("dave's presence", b -> presence(b, dave.id()) != null
                && "at Vestibule".equals(presence(b, dave.id()).get("status_msg")));
        assertThat(presence(carolSees, dave.id())).containsEntry("presence", "online");
        assertThat(room).isNotNull();
    }
}
