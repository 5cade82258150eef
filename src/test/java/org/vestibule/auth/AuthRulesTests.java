package org.vestibule.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.auth.TestRoom.ALICE;
import static org.vestibule.auth.TestRoom.BOB;
import static org.vestibule.auth.TestRoom.CAROL;
import static org.vestibule.auth.TestRoom.DAVE;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.vestibule.event.CanonicalJson;
import org.vestibule.event.Json;
import org.vestibule.event.JsonSigning;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.event.RoomVersions;
import org.vestibule.event.SigningKey;

/** The authorization rules, one test per rule and per difference between room versions. */
class AuthRulesTests {

    private static final RoomVersion V10 = RoomVersions.V10;

    private static AuthResult check(TestRoom room, Pdu event) {
        return AuthRules.check(event, room.state());
    }

    private static void assertAllowed(AuthResult result) {
        assertThat(result).as(result.toString()).isEqualTo(AuthResult.ALLOWED);
    }

    private static void assertRejected(AuthResult result, String rule, String reasonFragment) {
        assertThat(result).isInstanceOf(AuthResult.Rejected.class);
        AuthResult.Rejected rejected = (AuthResult.Rejected) result;
        assertThat(rejected.rule()).isEqualTo(rule);
        assertThat(rejected.reason()).contains(reasonFragment);
    }

    /** Alice's public room where Bob (50) and Carol (0) are joined: power levels Alice 100, Bob 50. */
    private static TestRoom moderatedRoom(RoomVersion v, String joinRule) {
        TestRoom room = TestRoom.standard(v, joinRule);
        if (!"public".equals(joinRule)) {
            room.member(ALICE, BOB, "invite").add();
            room.member(ALICE, CAROL, "invite").add();
        }
        room.join(BOB).add();
        room.join(CAROL).add();
        Map<String, Long> users = new LinkedHashMap<>();
        if (!v.roomIdIsCreateEventHash()) {
            users.put(ALICE, 100L);
        }
        users.put(BOB, 50L);
        room.powerLevels(users).add();
        return room;
    }

    // ---- signatures -------------------------------------------------------------------------

    @Test
    @DisplayName("preamble: an event must be signed by the sender's server")
    void preamble_signedBySendersServer() {
        TestRoom room = TestRoom.standard(V10, "public");
        Pdu unsigned = room.join(BOB).notSignedBy("b.example").signedBy("a.example").build();
        assertRejected(check(room, unsigned), "signed by the sender's server", "no signature of b.example");
        assertAllowed(check(room, room.join(BOB).build()));
    }

    @Test
    @DisplayName("preamble v1–v2: an event must also be signed by the server of its event ID")
    void preamble_v1SignedByEventIdServer() {
        TestRoom room = TestRoom.standard(RoomVersions.V1, "public");
        Pdu event = room.join(BOB).top("event_id", "$forged:z.example").build();
        assertRejected(check(room, event), "signed by the event ID's server", "no signature of z.example");
        Pdu signed = room.join(BOB).top("event_id", "$fine:z.example").signedBy("z.example").build();
        assertAllowed(check(room, signed));
    }

    // ---- rule 1: m.room.create --------------------------------------------------------------

    @Test
    @DisplayName("1.1 a create event with prev_events is rejected")
    void rule1_1_createHasNoPrevEvents() {
        TestRoom room = TestRoom.created(V10, ALICE);
        Pdu second = room.createEvent(ALICE).prev(room.last()).build();
        assertRejected(AuthRules.check(second, Map.of()), "1.1 create has no prev_events", "lists 1 prev_events");
        assertAllowed(AuthRules.check(room.last(), Map.of()));
    }

    @Test
    @DisplayName("1.2 (v1–v11) the room ID must be on the sender's server")
    void rule1_2_roomIdDomainMatchesSender() {
        TestRoom room = TestRoom.empty(V10);
        Pdu create = room.createEvent(BOB).build();
        assertRejected(AuthRules.check(create, Map.of()), "1.2 room ID on the sender's server",
                "!room:a.example is not on b.example");
    }

    @Test
    @DisplayName("1.2 (v12) a create event must not carry a room_id")
    void rule1_2_v12CreateHasNoRoomId() {
        TestRoom room = TestRoom.empty(RoomVersions.V12);
        Pdu create = room.createEvent(ALICE).build();
        assertAllowed(AuthRules.check(create, Map.of()));
        // The event core refuses such an event on parsing; storage bypasses it, so the rule still guards.
        Map<String, Object> json = Json.mutableCopy(create.json());
        json.put("room_id", "!room:a.example");
        Pdu withRoomId = Pdu.fromStorage(CanonicalJson.encode(json), RoomVersions.V12, create.eventId());
        assertRejected(AuthRules.check(withRoomId, Map.of()), "1.2 create has no room_id", "must not carry a room_id");
    }

    @Test
    @DisplayName("1.2 (v12) the room ID's domain is not checked any more: there is none")
    void rule1_2_v12HasNoDomainRule() {
        TestRoom room = TestRoom.empty(RoomVersions.V12);
        assertAllowed(AuthRules.check(room.createEvent(BOB).build(), Map.of()));
    }

    @Test
    @DisplayName("1.3 an unknown content.room_version is rejected; a missing one is fine")
    void rule1_3_unknownRoomVersion() {
        TestRoom room = TestRoom.empty(V10);
        Pdu unknown = room.createEvent(ALICE).content("room_version", "99").build();
        assertRejected(AuthRules.check(unknown, Map.of()), "1.3 known room version", "\"99\"");
        Pdu number = room.createEvent(ALICE).content("room_version", 10L).build();
        assertRejected(AuthRules.check(number, Map.of()), "1.3 known room version", "10");
        Pdu none = room.createEvent(ALICE).withoutContent("room_version").build();
        assertAllowed(AuthRules.check(none, Map.of()));
    }

    @Test
    @DisplayName("1.4 (v1–v10) a create event without creator is rejected; v11 has no such rule")
    void rule1_4_creatorRequiredBeforeV11() {
        Pdu v10 = TestRoom.empty(V10).createEvent(ALICE).withoutContent("creator").build();
        assertRejected(AuthRules.check(v10, Map.of()), "1.4 creator present", "no creator");
        Pdu v1 = TestRoom.empty(RoomVersions.V1).createEvent(ALICE).withoutContent("creator").build();
        assertRejected(AuthRules.check(v1, Map.of()), "1.4 creator present", "no creator");
        Pdu v11 = TestRoom.empty(RoomVersions.V11).createEvent(ALICE).build();
        assertThat(v11.content()).doesNotContainKey("creator");
        assertAllowed(AuthRules.check(v11, Map.of()));
    }

    @Test
    @DisplayName("1.4 (v12) additional_creators must be an array of valid user IDs")
    void rule1_4_v12AdditionalCreators() {
        TestRoom room = TestRoom.empty(RoomVersions.V12);
        assertAllowed(AuthRules.check(room.createEvent(ALICE).content("additional_creators", List.of(BOB)).build(),
                Map.of()));
        assertRejected(AuthRules.check(room.createEvent(ALICE).content("additional_creators", BOB).build(), Map.of()),
                "1.4 valid additional_creators", "not an array");
        assertRejected(AuthRules.check(room.createEvent(ALICE).content("additional_creators", List.of(BOB, "bob"))
                .build(), Map.of()), "1.4 valid additional_creators", "\"bob\"");
        assertRejected(AuthRules.check(room.createEvent(ALICE).content("additional_creators", List.of(5L)).build(),
                Map.of()), "1.4 valid additional_creators", "5");
        // v11 has no such rule: the property is just content.
        assertAllowed(AuthRules.check(TestRoom.empty(RoomVersions.V11).createEvent(ALICE)
                .content("additional_creators", "junk").build(), Map.of()));
    }

    // ---- v12 rule 2 and missing create ------------------------------------------------------

    @Test
    @DisplayName("2 (v12) the room ID must be the create event's ID with !")
    void rule2_v12RoomIdIsTheCreateEvent() {
        TestRoom room = TestRoom.standard(RoomVersions.V12, "public");
        TestRoom other = TestRoom.created(RoomVersions.V12, BOB);
        Pdu join = room.join(BOB).build();
        assertAllowed(check(room, join));
        Map<StateKey, Pdu> wrong = room.state();
        wrong.put(StateKey.CREATE, other.get(StateKey.CREATE));
        assertRejected(AuthRules.check(join, wrong), "2 room ID is the create event", "is not the ID of the create event");
        Map<StateKey, Pdu> missing = room.state();
        missing.remove(StateKey.CREATE);
        assertRejected(AuthRules.check(join, missing), "2 room ID is the create event", "not in the state");
    }

    @Test
    @DisplayName("2.4 (v1–v11) without a create event in the state nothing is allowed")
    void rule2_4_noCreateEventInState() {
        TestRoom room = TestRoom.standard(V10, "public");
        Map<StateKey, Pdu> state = room.state();
        state.remove(StateKey.CREATE);
        assertRejected(AuthRules.check(room.join(BOB).build(), state), "2.4 create event in auth events",
                "no m.room.create event");
    }

    // ---- rule 2 (v12: 3): the auth events list ----------------------------------------------

    @Test
    @DisplayName("2.1 duplicate auth events for one slot are rejected")
    void rule2_1_noDuplicateAuthEvents() {
        TestRoom room = TestRoom.standard(V10, "public");
        Pdu aliceJoin = room.get(StateKey.member(ALICE));
        Pdu aliceAgain = room.join(ALICE).add();
        Pdu message = room.event("m.room.message").content("body", "hi").build();
        List<Pdu> auth = List.of(room.get(StateKey.CREATE), room.get(StateKey.POWER_LEVELS), aliceJoin, aliceAgain);
        assertRejected(AuthRules.checkAuthEventsList(message, auth), "2.1 no duplicate auth events",
                "two events for (m.room.member, @alice:a.example)");
    }

    @Test
    @DisplayName("2.2 an auth event outside the selection is rejected")
    void rule2_2_onlySelectedAuthEvents() {
        TestRoom room = TestRoom.standard(V10, "public");
        Pdu message = room.event("m.room.message").content("body", "hi").build();
        List<Pdu> auth = List.of(room.get(StateKey.CREATE), room.get(StateKey.member(ALICE)),
                room.get(StateKey.JOIN_RULES));
        assertRejected(AuthRules.checkAuthEventsList(message, auth), "2.2 auth events selection",
                "(m.room.join_rules, ), which is not selected for an m.room.message event");
        Pdu text = room.event("m.room.message").content("body", "x").build();
        room.apply(text);
        assertRejected(AuthRules.checkAuthEventsList(message, List.of(room.get(StateKey.CREATE), text)),
                "2.2 auth events selection", "is not a state event");
    }

    @Test
    @DisplayName("2.4 (v1–v11) the auth events must include the create event")
    void rule2_4_createEventRequiredInAuthEvents() {
        TestRoom room = TestRoom.standard(V10, "public");
        Pdu message = room.event("m.room.message").content("body", "hi").build();
        assertRejected(AuthRules.checkAuthEventsList(message, List.of(room.get(StateKey.member(ALICE)))),
                "2.4 create event in auth events", "does not include the m.room.create event");
    }

    @Test
    @DisplayName("3.2 (v12) the auth events must not include the create event")
    void rule3_2_v12CreateEventNotInAuthEvents() {
        TestRoom room = TestRoom.standard(RoomVersions.V12, "public");
        Pdu message = room.event("m.room.message").content("body", "hi").build();
        assertAllowed(AuthRules.checkAuthEventsList(message, List.of(room.get(StateKey.member(ALICE)),
                room.get(StateKey.POWER_LEVELS))));
        assertRejected(AuthRules.checkAuthEventsList(message, List.of(room.get(StateKey.CREATE),
                room.get(StateKey.member(ALICE)))), "3.2 auth events selection", "room version 12 forbids");
    }

    @Test
    @DisplayName("2.5 an auth event from another room is rejected")
    void rule2_5_authEventsInTheSameRoom() {
        TestRoom room = TestRoom.standard(V10, "public");
        TestRoom elsewhere = TestRoom.empty(V10, "!other:a.example");
        elsewhere.createEvent(ALICE).add();
        elsewhere.join(ALICE).add();
        Pdu message = room.event("m.room.message").content("body", "hi").build();
        assertRejected(AuthRules.checkAuthEventsList(message, List.of(room.get(StateKey.CREATE),
                        elsewhere.get(StateKey.member(ALICE)))), "2.5 auth events in the same room",
                "is in room !other:a.example, not !room:a.example");
    }

    @Test
    @DisplayName("2 a correct auth events list passes, including a restricted join's authoriser")
    void rule2_correctAuthEventsListPasses() {
        TestRoom room = TestRoom.standard(V10, "restricted");
        Pdu join = room.join(BOB).content("join_authorised_via_users_server", ALICE).signedBy("a.example").build();
        List<Pdu> auth = join.authEvents().stream().map(id -> room.lookup().get(id)).toList();
        assertThat(auth).extracting(StateKey::of).containsExactlyInAnyOrder(StateKey.CREATE, StateKey.POWER_LEVELS,
                StateKey.JOIN_RULES, StateKey.member(ALICE));
        assertAllowed(AuthRules.checkAuthEventsList(join, auth));
        // A create event is decided by rule 1 alone.
        assertAllowed(AuthRules.checkAuthEventsList(room.get(StateKey.CREATE), auth));
    }

    // ---- rule 3: m.federate -----------------------------------------------------------------

    @Test
    @DisplayName("3 m.federate false keeps out senders of other servers")
    void rule3_mFederate() {
        TestRoom room = TestRoom.empty(V10);
        room.createEvent(ALICE).content("m.federate", false).add();
        room.join(ALICE).add();
        room.joinRules("public").add();
        assertRejected(check(room, room.join(BOB).build()), "3 m.federate", "sender's server b.example");
        assertAllowed(check(room, room.join("@alf:a.example").build()));

        TestRoom federated = TestRoom.empty(V10);
        federated.createEvent(ALICE).content("m.federate", true).add();
        federated.join(ALICE).add();
        federated.joinRules("public").add();
        assertAllowed(check(federated, federated.join(BOB).build()));
    }

    @Test
    @DisplayName("4 (v12) m.federate is rule 4")
    void rule4_v12MFederate() {
        TestRoom room = TestRoom.empty(RoomVersions.V12);
        room.createEvent(ALICE).content("m.federate", false).add();
        room.join(ALICE).add();
        room.joinRules("public").add();
        assertRejected(check(room, room.join(BOB).build()), "4 m.federate", "not federated");
    }

    // ---- v1–v5 rule 4: m.room.aliases --------------------------------------------------------

    @Test
    @DisplayName("4 (v1–v5) aliases: any server may set its own, even without being in the room")
    void rule4_v5AliasesOfOwnServer() {
        TestRoom room = TestRoom.standard(RoomVersions.V5, "invite");
        Pdu own = room.event("m.room.aliases").sender(BOB).stateKey("b.example")
                .content("aliases", List.of("#x:b.example")).build();
        assertAllowed(check(room, own));
        Pdu foreign = room.event("m.room.aliases").sender(BOB).stateKey("a.example").build();
        assertRejected(check(room, foreign), "4.2 aliases of the sender's server",
                "\"a.example\" is not b.example");
        Pdu noStateKey = room.event("m.room.aliases").sender(BOB).build();
        assertRejected(check(room, noStateKey), "4.1 aliases have a state_key", "must be a state event");
    }

    @Test
    @DisplayName("4 (v6+) aliases are ordinary state: the sender must be joined")
    void rule4_v6AliasesAreOrdinaryState() {
        TestRoom room = TestRoom.standard(RoomVersions.V6, "invite");
        Pdu own = room.event("m.room.aliases").sender(BOB).stateKey("b.example").build();
        assertRejected(check(room, own), "5 sender joined", "@bob:b.example is not joined");
    }

    // ---- m.room.member: x.1, x.2 ------------------------------------------------------------

    @Test
    @DisplayName("4.1 a member event needs a state_key and a membership")
    void rule4_1_memberNeedsStateKeyAndMembership() {
        TestRoom room = TestRoom.standard(V10, "public");
        assertRejected(check(room, room.join(BOB).withoutContent("membership").build()),
                "4.1 state_key and membership", "no membership");
        assertRejected(check(room, room.event("m.room.member").sender(BOB).content("membership", "join").build()),
                "4.1 state_key and membership", "no state_key");
    }

    @Test
    @DisplayName("5.1 (v1–v5) the member rules are rule 5 in versions with the aliases rule")
    void rule5_1_v1MemberNumbering() {
        TestRoom room = TestRoom.standard(RoomVersions.V1, "public");
        assertRejected(check(room, room.join(BOB).withoutContent("membership").build()),
                "5.1 state_key and membership", "no membership");
    }

    @Test
    @DisplayName("4.2 (v8+) join_authorised_via_users_server needs the authoriser's server's signature")
    void rule4_2_authorisingServerMustSign() {
        TestRoom room = TestRoom.standard(V10, "restricted");
        Pdu unsigned = room.join(BOB).content("join_authorised_via_users_server", ALICE).build();
        assertRejected(check(room, unsigned), "4.2 signed by the authorising server",
                "not signed by a.example, the server of the authorising user @alice:a.example");
        Pdu notAUser = room.join(BOB).content("join_authorised_via_users_server", "alice").build();
        assertRejected(check(room, notAUser), "4.2 signed by the authorising server", "\"alice\", not a user ID");
    }

    @Test
    @DisplayName("4.2 (v8+) applies to every membership carrying the key, not only joins (Synapse: joins only)")
    void rule4_2_appliesToEveryMembership() {
        TestRoom room = moderatedRoom(V10, "public");
        Pdu leave = room.member(CAROL, CAROL, "leave").content("join_authorised_via_users_server", ALICE).build();
        assertRejected(check(room, leave), "4.2 signed by the authorising server", "not signed by a.example");
        Pdu signed = room.member(CAROL, CAROL, "leave").content("join_authorised_via_users_server", ALICE)
                .signedBy("a.example").build();
        assertAllowed(check(room, signed));
    }

    @Test
    @DisplayName("4.2 (v1–v7) the authorising key means nothing before restricted rooms")
    void rule4_2_ignoredBeforeV8() {
        TestRoom room = TestRoom.standard(RoomVersions.V7, "public");
        assertAllowed(check(room, room.join(BOB).content("join_authorised_via_users_server", ALICE).build()));
    }

    // ---- joins --------------------------------------------------------------------------------

    @Test
    @DisplayName("4.3.1 the creator may join right after the create event (v1–v10: content.creator)")
    void rule4_3_1_creatorsFirstJoin() {
        TestRoom room = TestRoom.empty(V10);
        room.createEvent(ALICE).content("creator", "@carol:a.example").add();
        Pdu carol = room.join("@carol:a.example").build();
        assertAllowed(check(room, carol));
        // Alice sent the create event but isn't the creator, and there are no join rules.
        assertRejected(check(room, room.join(ALICE).build()), "4.3.7 join rule", "no valid join_rule");
    }

    @Test
    @DisplayName("4.3.1 (v11+) the creator is the create event's sender")
    void rule4_3_1_v11CreatorIsSender() {
        TestRoom room = TestRoom.empty(RoomVersions.V11);
        room.createEvent(ALICE).content("creator", "@carol:a.example").add();
        assertAllowed(check(room, room.join(ALICE).build()));
        assertRejected(check(room, room.join("@carol:a.example").build()), "4.3.7 join rule", "no valid join_rule");
    }

    @Test
    @DisplayName("4.3.1 only when the create event is the only previous event")
    void rule4_3_1_onlyWhenCreateIsTheOnlyPrevEvent() {
        TestRoom room = TestRoom.created(V10, ALICE);
        Pdu create = room.last();
        Pdu other = room.store(room.event("m.room.topic").stateKey("").content("topic", "x").build());
        Pdu join = room.join(ALICE).prev(create, other).build();
        assertRejected(check(room, join), "4.3.7 join rule", "no valid join_rule");
    }

    @Test
    @DisplayName("4.3.2 nobody can join on another user's behalf")
    void rule4_3_2_senderMustBeTheJoiner() {
        TestRoom room = TestRoom.standard(V10, "public");
        assertRejected(check(room, room.member(ALICE, BOB, "join").build()), "4.3.2 join by the user themself",
                "@alice:a.example cannot make @bob:b.example join");
    }

    @Test
    @DisplayName("4.3.3 a banned user can't join, even a public room")
    void rule4_3_3_bannedUserCannotJoin() {
        TestRoom room = TestRoom.standard(V10, "public");
        room.member(ALICE, BOB, "ban").add();
        assertRejected(check(room, room.join(BOB).build()), "4.3.3 banned user", "@bob:b.example is banned");
    }

    @Test
    @DisplayName("4.3.4 invite rooms admit the invited and the joined")
    void rule4_3_4_inviteJoinRule() {
        TestRoom room = TestRoom.standard(V10, "invite");
        assertRejected(check(room, room.join(BOB).build()), "4.3.4 invite or knock join rule",
                "join_rule is invite and @bob:b.example is not invited (no membership)");
        room.member(ALICE, BOB, "invite").add();
        assertAllowed(check(room, room.join(BOB).build()));
        room.join(BOB).add();
        assertAllowed(check(room, room.join(BOB).content("displayname", "Bob").build()));
    }

    @Test
    @DisplayName("4.3.4 (v7+) knock rooms admit the invited and the joined; 4.2.4 (v6) invite only")
    void rule4_3_4_knockJoinRule() {
        TestRoom v7 = TestRoom.standard(RoomVersions.V7, "knock");
        assertRejected(check(v7, v7.join(BOB).build()), "4.2.4 invite or knock join rule", "join_rule is knock");
        v7.member(ALICE, BOB, "invite").add();
        assertAllowed(check(v7, v7.join(BOB).build()));

        TestRoom v6 = TestRoom.standard(RoomVersions.V6, "invite");
        assertRejected(check(v6, v6.join(BOB).build()), "4.2.4 invite join rule", "is not invited");
        TestRoom v6knock = TestRoom.standard(RoomVersions.V6, "knock");
        v6knock.member(ALICE, BOB, "invite").add();
        assertRejected(check(v6knock, v6knock.join(BOB).build()), "4.2.6 join rule",
                "join_rule knock does not exist in room version 6");
    }

    @Test
    @DisplayName("4.3.6 public rooms admit anyone not banned")
    void rule4_3_6_publicJoinRule() {
        TestRoom room = TestRoom.standard(V10, "public");
        assertAllowed(check(room, room.join(BOB).build()));
    }

    @Test
    @DisplayName("4.3.7 any other join rule, or none, admits nobody (Synapse: none means invite)")
    void rule4_3_7_otherJoinRulesRejected() {
        TestRoom room = TestRoom.standard(V10, "private");
        room.member(ALICE, BOB, "invite").add();
        assertRejected(check(room, room.join(BOB).build()), "4.3.7 join rule", "join_rule private admits no joins");

        TestRoom none = TestRoom.created(V10, ALICE);
        none.join(ALICE).add();
        none.member(ALICE, BOB, "invite").add();
        assertRejected(check(none, none.join(BOB).build()), "4.3.7 join rule",
                "m.room.join_rules is missing");
    }

    @Test
    @DisplayName("4.3.5.1 restricted rooms admit the invited and the joined without an authoriser")
    void rule4_3_5_1_restrictedAdmitsInvitedAndJoined() {
        TestRoom room = TestRoom.standard(V10, "restricted");
        room.member(ALICE, BOB, "invite").add();
        assertAllowed(check(room, room.join(BOB).build()));
        room.join(BOB).add();
        assertAllowed(check(room, room.join(BOB).build()));
    }

    @Test
    @DisplayName("4.3.5.2 a restricted join without join_authorised_via_users_server is rejected")
    void rule4_3_5_2_restrictedJoinNeedsAnAuthoriser() {
        TestRoom room = TestRoom.standard(V10, "restricted");
        assertRejected(check(room, room.join(BOB).build()), "4.3.5.2 restricted join",
                "join_rule is restricted, @bob:b.example is neither invited nor joined, and the join names no"
                        + " authorising user (join_authorised_via_users_server is missing)");
    }

    @Test
    @DisplayName("4.3.5.2 the authoriser must be joined")
    void rule4_3_5_2_restrictedJoinAuthoriserMustBeJoined() {
        TestRoom room = TestRoom.standard(V10, "restricted");
        Pdu join = room.join(BOB).content("join_authorised_via_users_server", CAROL).signedBy("c.example").build();
        assertRejected(check(room, join), "4.3.5.2 restricted join",
                "the authorising user @carol:c.example is not joined (no membership)");
        room.member(ALICE, CAROL, "invite").add();
        assertRejected(check(room, join), "4.3.5.2 restricted join", "is not joined (membership: invite)");
    }

    @Test
    @DisplayName("4.3.5.2 the authoriser must reach the invite level")
    void rule4_3_5_2_restrictedJoinNeedsAnAuthoriserWhoCanInvite() {
        TestRoom room = TestRoom.standard(V10, "restricted");
        room.member(ALICE, CAROL, "invite").add();
        room.join(CAROL).add();
        room.powerLevels(Map.of(ALICE, 100L), "invite", 50L).add();
        Pdu join = room.join(BOB).content("join_authorised_via_users_server", CAROL).signedBy("c.example").build();
        assertRejected(check(room, join), "4.3.5.2 restricted join",
                "the authorising user @carol:c.example has power level 0, below the invite level 50");
        Pdu byAlice = room.join(BOB).content("join_authorised_via_users_server", ALICE).signedBy("a.example").build();
        assertAllowed(check(room, byAlice));
    }

    @Test
    @DisplayName("4.3.5.3 a restricted join authorised by a joined user who can invite is allowed")
    void rule4_3_5_3_restrictedJoinAllowed() {
        TestRoom room = TestRoom.standard(RoomVersions.V8, "restricted");
        Pdu join = room.join(BOB).content("join_authorised_via_users_server", ALICE).signedBy("a.example").build();
        assertAllowed(check(room, join));
    }

    @Test
    @DisplayName("4.3.5 (v10+) knock_restricted admits like restricted; v8–v9 don't know it")
    void rule4_3_5_knockRestricted() {
        TestRoom v10 = TestRoom.standard(V10, "knock_restricted");
        assertAllowed(check(v10, v10.join(BOB).content("join_authorised_via_users_server", ALICE)
                .signedBy("a.example").build()));
        assertRejected(check(v10, v10.join(BOB).build()), "4.3.5.2 restricted join", "names no authorising user");
        v10.member(ALICE, CAROL, "invite").add();
        assertAllowed(check(v10, v10.join(CAROL).build()));

        TestRoom v9 = TestRoom.standard(RoomVersions.V9, "knock_restricted");
        assertRejected(check(v9, v9.join(BOB).content("join_authorised_via_users_server", ALICE)
                        .signedBy("a.example").build()), "4.3.7 join rule",
                "join_rule knock_restricted does not exist in room version 9");
    }

    @Test
    @DisplayName("4.2.6 (v7) restricted does not exist before v8")
    void rule4_2_6_restrictedUnknownInV7() {
        TestRoom room = TestRoom.standard(RoomVersions.V7, "restricted");
        assertRejected(check(room, room.join(BOB).content("join_authorised_via_users_server", ALICE).build()),
                "4.2.6 join rule", "join_rule restricted does not exist in room version 7");
    }

    @Test
    @DisplayName("5.3.5 (v12) a creator authorises restricted joins with infinite power")
    void rule5_3_5_v12CreatorAuthorises() {
        TestRoom room = TestRoom.standard(RoomVersions.V12, "restricted");
        room.powerLevels(Map.of(), "invite", 1_000_000L).add();
        Pdu join = room.join(BOB).content("join_authorised_via_users_server", ALICE).signedBy("a.example").build();
        assertAllowed(check(room, join));
        room.member(ALICE, CAROL, "invite").add();
        room.join(CAROL).add();
        Pdu viaCarol = room.join(BOB).content("join_authorised_via_users_server", CAROL).signedBy("c.example").build();
        assertRejected(check(room, viaCarol), "5.3.5.2 restricted join", "below the invite level 1000000");
    }

    // ---- invites ------------------------------------------------------------------------------

    @Test
    @DisplayName("4.4.2 the inviter must be joined")
    void rule4_4_2_inviterMustBeJoined() {
        TestRoom room = TestRoom.standard(V10, "invite");
        assertRejected(check(room, room.member(BOB, CAROL, "invite").build()), "4.4.2 inviter joined",
                "the inviter @bob:b.example is not joined (no membership)");
    }

    @Test
    @DisplayName("4.4.3 joined or banned users can't be invited")
    void rule4_4_3_targetJoinedOrBanned() {
        TestRoom room = moderatedRoom(V10, "invite");
        assertRejected(check(room, room.member(ALICE, BOB, "invite").build()), "4.4.3 invitee not joined or banned",
                "@bob:b.example is already joined");
        room.member(ALICE, DAVE, "ban").add();
        assertRejected(check(room, room.member(ALICE, DAVE, "invite").build()), "4.4.3 invitee not joined or banned",
                "@dave:d.example is banned");
    }

    @Test
    @DisplayName("4.4.4 the inviter needs the invite level")
    void rule4_4_4_inviteLevel() {
        TestRoom room = moderatedRoom(V10, "invite");
        assertAllowed(check(room, room.member(CAROL, DAVE, "invite").build()));
        room.powerLevels(Map.of(ALICE, 100L, BOB, 50L), "invite", 50L).add();
        assertRejected(check(room, room.member(CAROL, DAVE, "invite").build()), "4.4.4 invite level",
                "@carol:c.example's power level 0 is below the invite level 50");
        assertAllowed(check(room, room.member(BOB, DAVE, "invite").build()));
    }

    /** A room whose third-party invite event Alice sent with the identity server's key. */
    private static final class ThirdPartySetup {
        final SigningKey idKey = SigningKey.generate("ed25519:0");
        final TestRoom room = TestRoom.standard(V10, "invite");
        final Pdu inviteEvent;

        ThirdPartySetup(boolean asList) {
            TestRoom.Builder b = room.event("m.room.third_party_invite").stateKey("tok")
                    .content("display_name", "c...@example.org", "key_validity_url", "https://id.example/isvalid");
            if (asList) {
                b.content("public_key", SigningKey.generate("ed25519:9").verifyKey().base64(),
                        "public_keys", List.of(Map.of("public_key", idKey.verifyKey().base64())));
            } else {
                b.content("public_key", idKey.verifyKey().base64());
            }
            inviteEvent = b.add();
        }

        Map<String, Object> signed(String mxid, String token, SigningKey key) {
            return JsonSigning.sign(Json.objectOf("mxid", mxid, "token", token, "sender", ALICE), "id.example", key);
        }

        TestRoom.Builder invite(String sender, Object signed) {
            return room.member(sender, CAROL, "invite")
                    .content("third_party_invite", Json.objectOf("display_name", "c...@example.org", "signed", signed));
        }
    }

    @Test
    @DisplayName("4.4.1.7 a third-party invite signed with the invite event's key is allowed")
    void rule4_4_1_7_thirdPartyInviteSignedByIdentityServer() {
        ThirdPartySetup s = new ThirdPartySetup(false);
        assertAllowed(check(s.room, s.invite(ALICE, s.signed(CAROL, "tok", s.idKey)).build()));
        ThirdPartySetup list = new ThirdPartySetup(true);
        assertAllowed(check(list.room, list.invite(ALICE, list.signed(CAROL, "tok", list.idKey)).build()));
    }

    @Test
    @DisplayName("4.4.1.7 a third-party invite signed with another key is rejected")
    void rule4_4_1_7_thirdPartyInviteBadSignature() {
        ThirdPartySetup s = new ThirdPartySetup(false);
        Map<String, Object> forged = s.signed(CAROL, "tok", SigningKey.generate("ed25519:0"));
        assertRejected(check(s.room, s.invite(ALICE, forged).build()), "4.4.1.7 third-party invite signature",
                "no signature in third_party_invite.signed verifies");
        Map<String, Object> tampered = s.signed(CAROL, "tok", s.idKey);
        tampered.put("sender", BOB);
        assertRejected(check(s.room, s.invite(ALICE, tampered).build()), "4.4.1.7 third-party invite signature",
                "verifies");
    }

    @Test
    @DisplayName("4.4.1.1–6 third-party invite structure: banned target, signed, mxid/token, token event, sender")
    void rule4_4_1_thirdPartyInviteStructure() {
        ThirdPartySetup s = new ThirdPartySetup(false);
        Map<String, Object> good = s.signed(CAROL, "tok", s.idKey);
        assertRejected(check(s.room, s.room.member(ALICE, CAROL, "invite")
                        .content("third_party_invite", Map.of("display_name", "x")).build()),
                "4.4.1.2 third-party invite signed", "has no signed object");
        Map<String, Object> noToken = Json.mutableCopy(good);
        noToken.remove("token");
        assertRejected(check(s.room, s.invite(ALICE, noToken).build()), "4.4.1.3 third-party invite mxid and token",
                "lacks a string token");
        assertRejected(check(s.room, s.invite(ALICE, s.signed(DAVE, "tok", s.idKey)).build()),
                "4.4.1.4 third-party invite mxid", "mxid @dave:d.example is not the invited user @carol:c.example");
        assertRejected(check(s.room, s.invite(ALICE, s.signed(CAROL, "other", s.idKey)).build()),
                "4.4.1.5 third-party invite event", "state_key \"other\"");
        s.room.member(ALICE, BOB, "invite").add();
        s.room.join(BOB).add();
        assertRejected(check(s.room, s.invite(BOB, good).build()), "4.4.1.6 third-party invite sender",
                "(@alice:a.example did)");
        s.room.member(ALICE, CAROL, "ban").add();
        assertRejected(check(s.room, s.invite(ALICE, good).build()), "4.4.1.1 third-party invitee not banned",
                "@carol:c.example is banned");
    }

    // ---- leaves, kicks and unbans -----------------------------------------------------------

    @Test
    @DisplayName("4.5.1 users may leave when invited or joined, not when banned or absent")
    void rule4_5_1_leavingOneself() {
        TestRoom room = moderatedRoom(V10, "public");
        assertAllowed(check(room, room.member(CAROL, CAROL, "leave").build()));
        room.member(ALICE, DAVE, "invite").add();
        assertAllowed(check(room, room.member(DAVE, DAVE, "leave").build()));
        assertRejected(check(room, room.member("@zed:z.example", "@zed:z.example", "leave").build()),
                "4.5.1 leaving oneself", "has no membership");
        room.member(ALICE, DAVE, "ban").add();
        assertRejected(check(room, room.member(DAVE, DAVE, "leave").build()), "4.5.1 leaving oneself",
                "@dave:d.example is ban");
    }

    @Test
    @DisplayName("4.5.1 (v7+) a knocking user may withdraw their knock")
    void rule4_5_1_knockerMayLeave() {
        TestRoom room = TestRoom.standard(RoomVersions.V7, "knock");
        room.member(BOB, BOB, "knock").add();
        assertAllowed(check(room, room.member(BOB, BOB, "leave").build()));
    }

    @Test
    @DisplayName("4.5.2 a kicker must be joined")
    void rule4_5_2_kickerMustBeJoined() {
        TestRoom room = moderatedRoom(V10, "public");
        room.member(BOB, BOB, "leave").add();
        assertRejected(check(room, room.member(BOB, CAROL, "leave").build()), "4.5.2 kicker joined",
                "@bob:b.example is not joined (membership: leave)");
    }

    @Test
    @DisplayName("4.5.3 unbanning needs the ban level")
    void rule4_5_3_unbanNeedsBanLevel() {
        TestRoom room = moderatedRoom(V10, "public");
        room.member(ALICE, DAVE, "ban").add();
        room.powerLevels(Map.of(ALICE, 100L, BOB, 50L), "kick", 20L, "ban", 60L).add();
        assertRejected(check(room, room.member(BOB, DAVE, "leave").build()), "4.5.3 unban needs the ban level",
                "@bob:b.example's power level 50 is below the ban level 60 needed to unban @dave:d.example");
        assertAllowed(check(room, room.member(ALICE, DAVE, "leave").build()));
    }

    @Test
    @DisplayName("4.5.3 unbanning needs the kick level too (the spec's consequence note)")
    void rule4_5_3_unbanNeedsKickLevelToo() {
        TestRoom room = moderatedRoom(V10, "public");
        room.member(ALICE, DAVE, "ban").add();
        room.powerLevels(Map.of(ALICE, 100L, BOB, 50L), "kick", 60L, "ban", 20L).add();
        assertRejected(check(room, room.member(BOB, DAVE, "leave").build()), "4.5.4 kick level",
                "below the kick level 60");
    }

    @Test
    @DisplayName("4.5.4 kicking needs the kick level and a higher level than the target")
    void rule4_5_4_kickLevel() {
        TestRoom room = moderatedRoom(V10, "public");
        assertAllowed(check(room, room.member(BOB, CAROL, "leave").build()));
        assertRejected(check(room, room.member(CAROL, BOB, "leave").build()), "4.5.4 kick level",
                "@carol:c.example's power level 0 is below the kick level 50");
        room.powerLevels(Map.of(ALICE, 100L, BOB, 50L, CAROL, 50L)).add();
        assertRejected(check(room, room.member(BOB, CAROL, "leave").build()), "4.5.4 kick level",
                "@bob:b.example's power level 50 is not above @carol:c.example's power level 50");
    }

    // ---- bans -----------------------------------------------------------------------------------

    @Test
    @DisplayName("4.6.1 a banner must be joined")
    void rule4_6_1_bannerMustBeJoined() {
        TestRoom room = moderatedRoom(V10, "public");
        assertRejected(check(room, room.member(DAVE, CAROL, "ban").build()), "4.6.1 banner joined",
                "@dave:d.example is not joined");
    }

    @Test
    @DisplayName("4.6.2 banning needs the ban level and a higher level than the target")
    void rule4_6_2_banLevel() {
        TestRoom room = moderatedRoom(V10, "public");
        assertAllowed(check(room, room.member(BOB, CAROL, "ban").build()));
        assertAllowed(check(room, room.member(BOB, DAVE, "ban").build()));
        assertRejected(check(room, room.member(CAROL, DAVE, "ban").build()), "4.6.2 ban level",
                "below the ban level 50");
        assertRejected(check(room, room.member(BOB, ALICE, "ban").build()), "4.6.2 ban level",
                "is not above @alice:a.example's power level 100");
    }

    // ---- knocks ---------------------------------------------------------------------------------

    @Test
    @DisplayName("4.6 (v7) knocking needs the knock join rule; v7 knows no knock_restricted")
    void rule4_6_v7Knock() {
        TestRoom room = TestRoom.standard(RoomVersions.V7, "knock");
        assertAllowed(check(room, room.member(BOB, BOB, "knock").build()));
        TestRoom pub = TestRoom.standard(RoomVersions.V7, "public");
        assertRejected(check(pub, pub.member(BOB, BOB, "knock").build()), "4.6.1 knock join rule",
                "join_rule is public; knocking needs knock");
        TestRoom kr = TestRoom.standard(RoomVersions.V7, "knock_restricted");
        assertRejected(check(kr, kr.member(BOB, BOB, "knock").build()), "4.6.1 knock join rule", "needs knock");
    }

    @Test
    @DisplayName("4.7.1 (v10+) knock_restricted admits knocks")
    void rule4_7_1_v10KnockRestricted() {
        TestRoom room = TestRoom.standard(V10, "knock_restricted");
        assertAllowed(check(room, room.member(BOB, BOB, "knock").build()));
        TestRoom inv = TestRoom.standard(V10, "invite");
        assertRejected(check(inv, inv.member(BOB, BOB, "knock").build()), "4.7.1 knock join rule",
                "knocking needs knock or knock_restricted");
    }

    @Test
    @DisplayName("4.7.2 users knock only for themselves")
    void rule4_7_2_knockForOneself() {
        TestRoom room = TestRoom.standard(V10, "knock");
        assertRejected(check(room, room.member(ALICE, BOB, "knock").build()), "4.7.2 knock for oneself",
                "@alice:a.example cannot knock for @bob:b.example");
    }

    @Test
    @DisplayName("4.7.3 the banned, invited and joined can't knock")
    void rule4_7_3_knockOnlyFromOutside() {
        TestRoom room = TestRoom.standard(V10, "knock");
        room.member(ALICE, BOB, "invite").add();
        assertRejected(check(room, room.member(BOB, BOB, "knock").build()), "4.7.3 knock by a non-member",
                "already invited");
        room.member(ALICE, BOB, "ban").add();
        assertRejected(check(room, room.member(BOB, BOB, "knock").build()), "4.7.3 knock by a non-member",
                "already banned");
        assertRejected(check(room, room.member(ALICE, ALICE, "knock").build()), "4.7.3 knock by a non-member",
                "already joined");
        room.member(CAROL, CAROL, "knock").add();
        room.member(CAROL, CAROL, "leave").add();
        assertAllowed(check(room, room.member(CAROL, CAROL, "knock").build()));
    }

    @Test
    @DisplayName("4.6 (v1–v6) knock is an unknown membership; 4.8 (v8+) so is anything else")
    void rule_unknownMembership() {
        TestRoom v6 = TestRoom.standard(RoomVersions.V6, "knock");
        assertRejected(check(v6, v6.member(BOB, BOB, "knock").build()), "4.6 unknown membership",
                "membership \"knock\" is not a membership of room version 6");
        TestRoom v10 = TestRoom.standard(V10, "public");
        assertRejected(check(v10, v10.member(BOB, BOB, "visit").build()), "4.8 unknown membership", "\"visit\"");
        assertRejected(check(v10, v10.member(BOB, BOB, "join").content("membership", 1L).build()),
                "4.8 unknown membership", "1");
    }

    // ---- rules 5–8: everything else ---------------------------------------------------------

    @Test
    @DisplayName("5 the sender of a non-member event must be joined (v1: 6, v12: 6)")
    void rule5_senderMustBeJoined() {
        TestRoom room = TestRoom.standard(V10, "public");
        assertRejected(check(room, room.event("m.room.message").sender(BOB).content("body", "hi").build()),
                "5 sender joined", "@bob:b.example is not joined (no membership)");
        TestRoom v1 = TestRoom.standard(RoomVersions.V1, "public");
        assertRejected(check(v1, v1.event("m.room.message").sender(BOB).build()), "6 sender joined", "not joined");
        TestRoom v12 = TestRoom.standard(RoomVersions.V12, "public");
        assertRejected(check(v12, v12.event("m.room.message").sender(BOB).build()), "6 sender joined", "not joined");
        assertAllowed(check(room, room.event("m.room.message").content("body", "hi").build()));
    }

    @Test
    @DisplayName("6 m.room.third_party_invite needs the invite level, not its own event level")
    void rule6_thirdPartyInviteEventNeedsInviteLevel() {
        TestRoom room = moderatedRoom(V10, "public");
        room.powerLevels(Map.of(ALICE, 100L, BOB, 50L), "invite", 50L, "events",
                Map.of("m.room.third_party_invite", 100L)).add();
        assertAllowed(check(room, room.event("m.room.third_party_invite").sender(BOB).stateKey("t").build()));
        assertRejected(check(room, room.event("m.room.third_party_invite").sender(CAROL).stateKey("t").build()),
                "6 third-party invite level", "@carol:c.example's power level 0 is below the invite level 50");
    }

    @Test
    @DisplayName("7 the sender needs the event type's required power level")
    void rule7_requiredPowerLevel() {
        TestRoom room = moderatedRoom(V10, "public");
        assertRejected(check(room, room.event("m.room.name").sender(CAROL).stateKey("").content("name", "x").build()),
                "7 required power level",
                "@carol:c.example's power level 0 is below the level 50 needed to send m.room.name state events");
        assertAllowed(check(room, room.event("m.room.name").sender(BOB).stateKey("").build()));
        room.powerLevels(Map.of(ALICE, 100L, BOB, 50L), "events_default", 10L, "events", Map.of("m.room.name", 0L))
                .add();
        assertAllowed(check(room, room.event("m.room.name").sender(CAROL).stateKey("").build()));
        assertRejected(check(room, room.event("m.room.message").sender(CAROL).build()), "7 required power level",
                "below the level 10 needed to send m.room.message events");
    }

    @Test
    @DisplayName("7 (v1–v9) string levels count as integers")
    void rule7_stringLevelsBeforeV10() {
        TestRoom room = moderatedRoom(RoomVersions.V9, "public");
        room.powerLevels(Map.of(ALICE, 100L, BOB, 50L), "events", Map.of("m.room.message", " +20 ")).add();
        assertRejected(check(room, room.event("m.room.message").sender(CAROL).build()), "7 required power level",
                "below the level 20");
    }

    @Test
    @DisplayName("8 a state_key starting with @ must be the sender")
    void rule8_userStateKeyMustBeSender() {
        TestRoom room = moderatedRoom(V10, "public");
        room.powerLevels(Map.of(ALICE, 100L, BOB, 50L), "state_default", 0L).add();
        assertRejected(check(room, room.event("org.example.status").sender(CAROL).stateKey(BOB).build()),
                "8 state_key of another user", "the state_key @bob:b.example starts with @ and is not the sender");
        assertAllowed(check(room, room.event("org.example.status").sender(CAROL).stateKey(CAROL).build()));
        assertRejected(check(room, room.event("org.example.status").sender(ALICE).stateKey(BOB).build()),
                "8 state_key of another user", "is not the sender @alice:a.example");
    }

    // ---- power levels -----------------------------------------------------------------------

    @Test
    @DisplayName("9.1 (v10+) string values of the level properties are rejected")
    void rule9_1_v10IntegerLevels() {
        TestRoom room = moderatedRoom(V10, "public");
        assertRejected(check(room, room.powerLevels(Map.of(ALICE, 100L, BOB, 50L), "ban", "50").build()),
                "9.1 integer levels", "ban is \"50\", not an integer (room version 10 refuses strings)");
        assertRejected(check(room, room.powerLevels(Map.of(ALICE, 100L, BOB, 50L), "kick", true).build()),
                "9.1 integer levels", "kick is true");
    }

    @Test
    @DisplayName("9.3 (v1–v9: 9.1) string values are accepted before v10 when they hold an integer")
    void rule9_stringLevelsAcceptedBeforeV10() {
        TestRoom room = moderatedRoom(RoomVersions.V9, "public");
        Pdu stringy = room.event("m.room.power_levels").stateKey("")
                .content("users", Map.of(ALICE, "100", BOB, " 050 "), "ban", "+50", "events",
                        Map.of("m.room.name", "50")).build();
        assertAllowed(check(room, stringy));
        Pdu bad = room.event("m.room.power_levels").stateKey("")
                .content("users", Map.of(ALICE, 100L, BOB, "fifty")).build();
        assertRejected(check(room, bad), "9.1 users are user IDs with integer levels",
                "users.@bob:b.example is \"fifty\", not an integer or a string holding one");
        Pdu badBan = room.event("m.room.power_levels").stateKey("")
                .content("users", Map.of(ALICE, 100L, BOB, 50L), "ban", "5.0").build();
        assertRejected(check(room, badBan), "9.3 changed levels within the sender's power", "ban is \"5.0\"");
    }

    @Test
    @DisplayName("9.2 (v10+) events and notifications must be objects of integers")
    void rule9_2_v10EventsAndNotificationsObjects() {
        TestRoom room = moderatedRoom(V10, "public");
        assertRejected(check(room, room.powerLevels(Map.of(ALICE, 100L, BOB, 50L), "events", List.of()).build()),
                "9.2 integer event and notification levels", "events is not an object");
        assertRejected(check(room, room.powerLevels(Map.of(ALICE, 100L, BOB, 50L), "notifications",
                Map.of("room", "50")).build()), "9.2 integer event and notification levels",
                "notifications.room is \"50\", not an integer");
    }

    @Test
    @DisplayName("9.3 users keys must be user IDs and values integers")
    void rule9_3_usersAreUserIdsWithIntegers() {
        TestRoom room = moderatedRoom(V10, "public");
        assertRejected(check(room, room.powerLevels(Map.of(ALICE, 100L, BOB, 50L, "carol", 0L)).build()),
                "9.3 users are user IDs with integer levels", "\"carol\", which is not a valid user ID");
        assertRejected(check(room, room.event("m.room.power_levels").stateKey("")
                        .content("users", Map.of(ALICE, 100L, BOB, "50")).build()),
                "9.3 users are user IDs with integer levels", "users.@bob:b.example is \"50\", not an integer");
        assertRejected(check(room, room.event("m.room.power_levels").stateKey("").content("users", 5L).build()),
                "9.3 users are user IDs with integer levels", "users is not an object");
    }

    @Test
    @DisplayName("9.4 the first power levels event is allowed whatever it sets")
    void rule9_4_firstPowerLevelsEvent() {
        TestRoom room = TestRoom.created(V10, ALICE);
        room.join(ALICE).add();
        assertAllowed(check(room, room.powerLevels(Map.of(ALICE, 100L, BOB, 1000L), "ban", 9000L).build()));
    }

    @Test
    @DisplayName("9.5 changed properties must stay within the sender's level, before and after")
    void rule9_5_propertiesWithinSendersLevel() {
        TestRoom room = moderatedRoom(V10, "public");
        Map<String, Long> users = Map.of(ALICE, 100L, BOB, 50L);
        assertRejected(check(room, room.powerLevels(users, "ban", 60L).sender(BOB).build()),
                "9.5 changed levels within the sender's power",
                "setting ban to 60 is above @bob:b.example's power level 50");
        assertAllowed(check(room, room.powerLevels(users, "ban", 40L).sender(BOB).build()));
        room.powerLevels(users, "kick", 75L).add();
        assertRejected(check(room, room.powerLevels(users, "kick", 40L).sender(BOB).build()),
                "9.5 changed levels within the sender's power", "changing kick from 75 needs that level");
        assertRejected(check(room, room.powerLevels(users).sender(BOB).build()),
                "9.5 changed levels within the sender's power", "changing kick from 75");
        // Unchanged values are not alterations, even written differently (before v10).
        TestRoom v9 = moderatedRoom(RoomVersions.V9, "public");
        v9.powerLevels(users, "kick", 75L).add();
        assertAllowed(check(v9, v9.powerLevels(users, "kick", "75").sender(BOB).build()));
    }

    @Test
    @DisplayName("9.6 changed or removed event levels must not exceed the sender's level")
    void rule9_6_changedEventLevels() {
        TestRoom room = moderatedRoom(V10, "public");
        Map<String, Long> users = Map.of(ALICE, 100L, BOB, 50L);
        room.powerLevels(users, "events", Map.of("m.room.name", 100L, "m.room.topic", 10L)).add();
        assertRejected(check(room, room.powerLevels(users, "events", Map.of("m.room.name", 50L, "m.room.topic", 10L))
                        .sender(BOB).build()), "9.6 changed event levels within the sender's power",
                "changing events.m.room.name (level 100) is beyond @bob:b.example's power level 50");
        assertRejected(check(room, room.powerLevels(users, "events", Map.of("m.room.topic", 10L)).sender(BOB).build()),
                "9.6 changed event levels within the sender's power", "removing events.m.room.name");
        assertAllowed(check(room, room.powerLevels(users, "events", Map.of("m.room.name", 100L, "m.room.topic", 40L))
                .sender(BOB).build()));
    }

    @Test
    @DisplayName("9.7 added or changed event levels must not exceed the sender's level")
    void rule9_7_newEventLevels() {
        TestRoom room = moderatedRoom(V10, "public");
        Map<String, Long> users = Map.of(ALICE, 100L, BOB, 50L);
        assertRejected(check(room, room.powerLevels(users, "events", Map.of("m.room.topic", 75L)).sender(BOB).build()),
                "9.7 new event levels within the sender's power",
                "setting events.m.room.topic to 75 is above @bob:b.example's power level 50");
        assertAllowed(check(room, room.powerLevels(users, "events", Map.of("m.room.topic", 50L)).sender(BOB).build()));
    }

    @Test
    @DisplayName("9.6–9.7 (v6+) notifications are checked like events; v1–v5 ignore them")
    void rule9_notificationsFromV6() {
        Map<String, Long> users = Map.of(ALICE, 100L, BOB, 50L);
        TestRoom v6 = moderatedRoom(RoomVersions.V6, "public");
        v6.powerLevels(users, "notifications", Map.of("room", 100L)).add();
        assertRejected(check(v6, v6.powerLevels(users, "notifications", Map.of("room", 0L)).sender(BOB).build()),
                "9.4 changed event levels within the sender's power", "changing notifications.room (level 100)");
        assertRejected(check(v6, v6.powerLevels(users, "notifications", Map.of("room", 100L, "x", 60L))
                .sender(BOB).build()), "9.5 new event levels within the sender's power", "notifications.x to 60");

        TestRoom v5 = moderatedRoom(RoomVersions.V5, "public");
        v5.powerLevels(users, "notifications", Map.of("room", 100L)).add();
        assertAllowed(check(v5, v5.powerLevels(users, "notifications", Map.of("room", 0L)).sender(BOB).build()));
    }

    @Test
    @DisplayName("9.8 other users at or above the sender's level can't be changed or removed")
    void rule9_8_cannotChangeEqualLevelUsers() {
        TestRoom room = moderatedRoom(V10, "public");
        room.powerLevels(Map.of(ALICE, 100L, BOB, 50L, CAROL, 50L)).add();
        assertRejected(check(room, room.powerLevels(Map.of(ALICE, 100L, BOB, 50L, CAROL, 10L)).sender(BOB).build()),
                "9.8 changed user levels below the sender's",
                "changing the level of @carol:c.example (50) needs a level above it; @bob:b.example's power level 50");
        assertRejected(check(room, room.powerLevels(Map.of(ALICE, 100L, BOB, 50L)).sender(BOB).build()),
                "9.8 changed user levels below the sender's", "removing the level of @carol:c.example");
        // The sender's own entry may go down.
        assertAllowed(check(room, room.powerLevels(Map.of(ALICE, 100L, BOB, 10L, CAROL, 50L)).sender(BOB).build()));
    }

    @Test
    @DisplayName("9.9 nobody can be raised above the sender's level")
    void rule9_9_cannotRaiseAboveOwnLevel() {
        TestRoom room = moderatedRoom(V10, "public");
        assertRejected(check(room, room.powerLevels(Map.of(ALICE, 100L, BOB, 50L, DAVE, 51L)).sender(BOB).build()),
                "9.9 new user levels within the sender's power",
                "setting @dave:d.example to 51 is above @bob:b.example's power level 50");
        assertRejected(check(room, room.powerLevels(Map.of(ALICE, 100L, BOB, 60L)).sender(BOB).build()),
                "9.9 new user levels within the sender's power", "setting @bob:b.example to 60");
        assertAllowed(check(room, room.powerLevels(Map.of(ALICE, 100L, BOB, 50L, DAVE, 50L)).sender(BOB).build()));
    }

    @Test
    @DisplayName("10.4 (v12) creators can't be listed in users; their level is infinite")
    void rule10_4_v12CreatorsNotInUsers() {
        TestRoom room = TestRoom.empty(RoomVersions.V12);
        room.createEvent(ALICE).content("additional_creators", List.of(BOB)).add();
        room.join(ALICE).add();
        assertRejected(check(room, room.powerLevels(Map.of(ALICE, 100L)).build()), "10.4 creators not in users",
                "users lists the room creator @alice:a.example");
        assertRejected(check(room, room.powerLevels(Map.of(BOB, 100L)).build()), "10.4 creators not in users",
                "@bob:b.example");
        room.powerLevels(Map.of(CAROL, 100L), "ban", 200L, "events", Map.of("m.room.name", 1000L)).add();
        // Alice's infinite level may change anything.
        assertAllowed(check(room, room.powerLevels(Map.of(CAROL, 0L, DAVE, 9000L), "ban", 1L).build()));
    }

    @Test
    @DisplayName("10 (v12) the power levels rules are rule 10")
    void rule10_v12Numbering() {
        TestRoom room = moderatedRoom(RoomVersions.V12, "public");
        assertRejected(check(room, room.powerLevels(Map.of(BOB, 50L), "ban", "50").build()), "10.1 integer levels",
                "ban is \"50\"");
        assertRejected(check(room, room.powerLevels(Map.of(BOB, 50L, DAVE, 60L)).sender(BOB).build()),
                "10.10 new user levels within the sender's power", "setting @dave:d.example to 60");
    }

    // ---- v1–v2 redactions -------------------------------------------------------------------

    @Test
    @DisplayName("11 (v1–v2) a redaction needs the redact level or the redacted event's server")
    void rule11_v1RedactionRule() {
        TestRoom room = moderatedRoom(RoomVersions.V1, "public");
        Pdu message = room.event("m.room.message").sender(BOB).content("body", "hi").add();
        Pdu byCarol = room.event("m.room.redaction").sender(CAROL).top("redacts", message.eventId()).build();
        assertRejected(check(room, byCarol), "11 redaction",
                "@carol:c.example's power level 0 is below the redact level 50 and the redacted event "
                        + message.eventId() + " is not from this redaction's server c.example");
        assertAllowed(check(room, room.event("m.room.redaction").sender(BOB).top("redacts", message.eventId())
                .build()));
        assertAllowed(check(room, room.event("m.room.redaction").sender(ALICE).top("redacts", message.eventId())
                .build()));
    }

    @Test
    @DisplayName("11 (v3+) redactions pass the auth rules like any event (checked later, on applying them)")
    void rule11_v3NoRedactionRule() {
        TestRoom room = moderatedRoom(RoomVersions.V3, "public");
        Pdu message = room.event("m.room.message").sender(BOB).content("body", "hi").add();
        assertAllowed(check(room, room.event("m.room.redaction").sender(CAROL).top("redacts", message.eventId())
                .build()));
    }
}
