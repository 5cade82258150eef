package org.vestibule.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.auth.TestRoom.ALICE;
import static org.vestibule.auth.TestRoom.BOB;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersions;

/** Auth chains through an event lookup. */
class AuthChainsTests {

    @Test
    @DisplayName("the auth chain of a join: everything its auth events rest on, oldest first")
    void chainOfAJoin() {
        TestRoom room = TestRoom.standard(RoomVersions.V10, "public");
        Pdu join = room.join(BOB).add();
        List<Pdu> chain = AuthChains.of(List.of(join.eventId()), room.lookup());
        Pdu create = room.get(StateKey.CREATE);
        Pdu alice = room.get(StateKey.member(ALICE));
        Pdu pl = room.get(StateKey.POWER_LEVELS);
        Pdu rules = room.get(StateKey.JOIN_RULES);
        assertThat(chain).containsExactlyInAnyOrder(create, alice, pl, rules);
        assertThat(chain.indexOf(create)).isLessThan(chain.indexOf(alice));
        assertThat(chain.indexOf(alice)).isLessThan(chain.indexOf(pl));
        assertThat(chain.indexOf(pl)).isLessThan(chain.indexOf(rules));
        assertThat(AuthChains.ids(List.of(join.eventId()), room.lookup())).containsExactly(
                chain.stream().map(Pdu::eventId).toArray(String[]::new));
    }

    @Test
    @DisplayName("a given event appears only when another given event's chain holds it; unknown IDs are skipped")
    void givenAndUnknownEvents() {
        TestRoom room = TestRoom.standard(RoomVersions.V10, "public");
        Pdu join = room.join(BOB).add();
        Pdu rules = room.get(StateKey.JOIN_RULES);
        List<Pdu> chain = AuthChains.of(List.of(join.eventId(), rules.eventId(), "$unknown"), room.lookup());
        assertThat(chain).contains(rules).doesNotContain(join);
        assertThat(AuthChains.of(List.of(room.get(StateKey.CREATE).eventId()), room.lookup())).isEmpty();
        assertThat(AuthChains.of(List.of("$unknown"), room.lookup())).isEmpty();
    }

    @Test
    @DisplayName("v12: the create event is not in auth chains, since no auth_events lists it")
    void v12ChainsLackTheCreateEvent() {
        TestRoom room = TestRoom.standard(RoomVersions.V12, "public");
        Pdu join = room.join(BOB).add();
        assertThat(AuthChains.of(List.of(join.eventId()), room.lookup())).doesNotContain(room.get(StateKey.CREATE))
                .contains(room.get(StateKey.JOIN_RULES), room.get(StateKey.POWER_LEVELS));
    }

    @Test
    @DisplayName("deep chains don't overflow the stack")
    void deepChain() {
        TestRoom room = TestRoom.standard(RoomVersions.V10, "public");
        room.join(BOB).add();
        for (int i = 0; i < 20_000; i++) {
            room.join(BOB).content("displayname", "bob " + i).add();
        }
        Pdu last = room.last();
        assertThat(AuthChains.of(List.of(last.eventId()), room.lookup())).hasSize(20_000 + 4);
    }
}
