package org.vestibule.room;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.vestibule.event.RoomVersions;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.support.VestibuleIntegrationTest;

/**
 * The auth chain of a room's whole state, kept and extended as the state grows, is the chain a
 * full walk finds: as members join, when a member leaves or the power levels change (slots whose
 * event is replaced), and for a state asked for twice.
 */
@VestibuleIntegrationTest
class StateAuthChainIntegrationTests {

    @Autowired RoomCreator creator;
    @Autowired LocalEvents localEvents;
    @Autowired EventGraph graph;
    @Autowired ServerKeyring keyring;

    @Test
    void theKeptChainIsTheWalkedChainAsTheStateGrowsAndChanges() {
        String alice = "@alice-chain:" + keyring.serverName();
        String roomId = creator.create(new NewRoom(alice, RoomVersions.V10, "public_chat", Map.of(), List.of(),
                Map.of(), null, null, null, List.of(), false));
        assertSameAsWalk(roomId);
        List<String> members = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String member = "@member" + i + "-chain:" + keyring.serverName();
            members.add(member);
            localEvents.send(roomId, member, "m.room.member", member, Map.of("membership", "join"));
            assertSameAsWalk(roomId);
        }
        // Replaced slots: the member's join by its leave, then the power levels.
        localEvents.send(roomId, members.get(2), "m.room.member", members.get(2), Map.of("membership", "leave"));
        assertSameAsWalk(roomId);
        localEvents.send(roomId, alice, "m.room.power_levels", "", Map.of("users", Map.of(alice, 100), "ban", 60));
        assertSameAsWalk(roomId);
        // The leave is now in the chain of the member's rejoin.
        localEvents.send(roomId, members.get(2), "m.room.member", members.get(2), Map.of("membership", "join"));
        Set<String> chain = assertSameAsWalk(roomId);
        assertThat(graph.stateAuthChain(roomId, localEvents.snapshot(roomId).state())).isSameAs(chain);
    }

    private Set<String> assertSameAsWalk(String roomId) {
        RoomState state = localEvents.snapshot(roomId).state();
        List<String> ids = new ArrayList<>();
        state.forEach((key, id) -> ids.add(id));
        Set<String> kept = graph.stateAuthChain(roomId, state);
        assertThat(kept).containsExactlyInAnyOrderElementsOf(graph.authChain(ids));
        assertThat(kept).isNotEmpty();
        return kept;
    }
}
