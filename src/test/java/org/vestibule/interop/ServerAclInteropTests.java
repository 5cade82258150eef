package org.vestibule.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.interop.Interop.exchange;
import static org.vestibule.interop.Interop.synapseUser;
import static org.vestibule.interop.Interop.vestibuleUser;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.vestibule.interop.Interop.Member;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.TestHomeservers;

/**
 * Server ACLs between Vestibule and Synapse, both ways. Synapse is {@code localhost:<port>}; this
 * Vestibule is named {@code 127.0.0.1:<port>}, so each side's ACL can deny the other by its host
 * (an ACL compares names without their ports) while allowing itself.
 */
@DisplayName("Server ACLs")
class ServerAclInteropTests {

    static Synapse synapse;
    static TestHomeservers servers;
    static String vestibule;

    @BeforeAll
    static void start() {
        synapse = Synapse.get();
        servers = Interop.vestibule(1, i -> "127.0.0.1", i -> new String[0]);
        vestibule = servers.get(0).serverName();
    }

    @AfterAll
    static void stop() {
        if (servers != null) {
            servers.close();
        }
    }

    static Map<String, Object> roomWithAcl(Map<String, Object> acl) {
        return Map.of("preset", "public_chat", "room_version", "10", "initial_state",
                List.of(Map.of("type", "m.room.server_acl", "state_key", "", "content", acl)));
    }

    @Test
    @DisplayName("a Vestibule room whose ACL denies localhost: Synapse's user gets our 403, and is not in the room")
    void vestibuleDeniesSynapse() {
        Member alice = vestibuleUser(servers.get(0), "alice");
        Member bob = synapseUser(synapse, "bob");
        String room = alice.createRoom(roomWithAcl(Map.of("allow", List.of("*"), "deny", List.of("localhost"))));

        Response refused = bob.join(room, vestibule);
        // Synapse passes a resident's 403 on to its user, with our message.
        assertThat(refused.status()).as(refused.raw()).isEqualTo(403);
        assertThat(refused.errcode()).isEqualTo("M_FORBIDDEN");
        assertThat(alice.membershipOf(room, bob.id())).isNull();
    }

    @Test
    @DisplayName("an ACL denying Synapse, set after its user joined, reaches Synapse (sent under the ACL it replaces)")
    void aNewAclReachesTheSynapseItDenies() {
        Member alice = vestibuleUser(servers.get(0), "alice");
        Member bob = synapseUser(synapse, "bob");
        String room = alice.createRoom(Map.of("preset", "public_chat", "room_version", "10"));
        bob.joins(room, vestibule);
        alice.seesMembership(room, bob.id(), "join");
        alice.setState(room, "m.room.server_acl", "", Map.of("allow", List.of("*"), "deny", List.of("localhost")));
        // Sent under the ACL it replaces, so the server it denies learns of it.
        bob.seesState(room, "m.room.server_acl", "", "deny", List.of("localhost"));
        assertThat(bob.membershipOf(room, bob.id())).isEqualTo("join");
    }

    @Test
    @DisplayName("a Vestibule room whose ACL allows localhost by a glob: Synapse's user joins (its port is ignored)")
    void vestibuleAllowsSynapseByGlob() {
        Member alice = vestibuleUser(servers.get(0), "alice");
        Member bob = synapseUser(synapse, "bob");
        String room = alice.createRoom(roomWithAcl(Map.of("allow", List.of("l?calho*", "127.0.0.1"))));
        bob.joins(room, vestibule);
        alice.seesMembership(room, bob.id(), "join");
        exchange(room, alice, bob);
    }

    @Test
    @DisplayName("a Synapse room whose ACL refuses IP literals: our user's join is refused with Synapse's 403")
    void synapseDeniesVestibule() {
        Member alice = vestibuleUser(servers.get(0), "alice");
        Member bob = synapseUser(synapse, "bob");
        String room = bob.createRoom(roomWithAcl(Map.of("allow", List.of("*"), "allow_ip_literals", false)));

        Response refused = alice.join(room, synapse.serverName());
        // Failover stops at a 403 and passes on the resident's status and errcode.
        assertThat(refused.status()).as(refused.raw()).isEqualTo(403);
        assertThat(refused.errcode()).isEqualTo("M_FORBIDDEN");
        assertThat(refused.error()).contains(synapse.serverName() + " refused the join: Server is banned from room");
        assertThat(bob.membershipOf(room, alice.id())).isNull();
    }

    @Test
    @DisplayName("a Synapse room whose ACL allows our IP literal by a glob: our user joins")
    void synapseAllowsVestibule() {
        Member alice = vestibuleUser(servers.get(0), "alice");
        Member bob = synapseUser(synapse, "bob");
        // Synapse refuses an ACL that denies itself, comparing its own name with the port
        // (localhost:<port>), though it compares other servers' names without: hence localhost*.
        String room = bob.createRoom(roomWithAcl(Map.of("allow", List.of("localhost*", "127.0.0.*"))));
        alice.joins(room, synapse.serverName());
        bob.seesMembership(room, alice.id(), "join");
        exchange(room, bob, alice);
    }
}
