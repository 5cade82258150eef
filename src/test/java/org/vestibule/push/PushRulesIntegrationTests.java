package org.vestibule.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.clientapi.Syncing.at;
import static org.vestibule.clientapi.Syncing.list;
import static org.vestibule.clientapi.Syncing.sync;
import static org.vestibule.support.TestNames.unique;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.VestibuleIntegrationTest;

/** The push rules API (pushrules.yaml) and unread_notifications in /sync. */
@VestibuleIntegrationTest
class PushRulesIntegrationTests {

    static final String RULES = "/_matrix/client/v3/pushrules/";

    @LocalServerPort
    int port;
    MatrixClient client;

    @BeforeEach
    void client() {
        client = new MatrixClient("http://127.0.0.1:" + port);
    }

    @SuppressWarnings("unchecked")
    static List<String> ids(Map<String, Object> ruleset, String kind) {
        return ((List<Map<String, Object>>) ruleset.get(kind)).stream().map(r -> (String) r.get("rule_id")).toList();
    }

    @Test
    void theDefaultsAreTheSpecs() {
        User alice = client.register(unique("alice"));
        Map<String, Object> all = client.get(RULES, alice.accessToken()).expect(200).body();
        @SuppressWarnings("unchecked")
        Map<String, Object> global = (Map<String, Object>) all.get("global");
        assertThat(global).containsOnlyKeys("override", "content", "room", "sender", "underride");
        assertThat(ids(global, "override")).containsExactly(".m.rule.master", ".m.rule.suppress_notices",
                ".m.rule.invite_for_me", ".m.rule.member_event", ".m.rule.is_user_mention", ".m.rule.is_room_mention",
                ".m.rule.tombstone", ".m.rule.reaction", ".m.rule.room.server_acl", ".m.rule.suppress_edits");
        assertThat(ids(global, "underride")).containsExactly(".m.rule.call", ".m.rule.encrypted_room_one_to_one",
                ".m.rule.room_one_to_one", ".m.rule.message", ".m.rule.encrypted");
        assertThat(client.get("/_matrix/client/v3/pushrules/global/", alice.accessToken()).expect(200).body())
                .isEqualTo(global);
        Map<String, Object> invite = client.get(RULES + "global/override/.m.rule.invite_for_me", alice.accessToken())
                .expect(200).body();
        assertThat(invite).containsEntry("default", true).containsEntry("enabled", true);
        assertThat(invite.toString()).contains(alice.userId());
        assertThat(client.get(RULES + "global/override/.m.rule.master/enabled", alice.accessToken()).expect(200)
                .body()).containsEntry("enabled", false);
    }

    @Test
    void rulesOfOnesOwnArePlacedChangedAndDeleted() {
        User alice = client.register(unique("alice"));
        String token = alice.accessToken();
        client.put(RULES + "global/content/cake", token, Map.of("pattern", "cake*lie", "actions", List.of("notify")))
                .expect(200);
        client.put(RULES + "global/content/tea?before=cake", token, Map.of("pattern", "tea", "actions", List.of()))
                .expect(200);
        client.put(RULES + "global/content/pie?after=tea", token, Map.of("pattern", "pie", "actions", List.of()))
                .expect(200);
        Map<String, Object> global = client.get(RULES + "global/", token).expect(200).body();
        assertThat(ids(global, "content")).containsExactly("tea", "pie", "cake");
        assertThat(client.get(RULES + "global/content/cake", token).expect(200).body())
                .containsEntry("pattern", "cake*lie").containsEntry("enabled", true).containsEntry("default", false);

        client.put(RULES + "global/content/cake/enabled", token, Map.of("enabled", false)).expect(200);
        client.put(RULES + "global/content/cake/actions", token, Map.of("actions", List.of("notify",
                Map.of("set_tweak", "highlight")))).expect(200);
        Map<String, Object> cake = client.get(RULES + "global/content/cake", token).expect(200).body();
        assertThat(cake).containsEntry("enabled", false);
        assertThat(client.get(RULES + "global/content/cake/actions", token).expect(200).body().get("actions").toString())
                .contains("highlight");

        // Defaults can be switched and given other actions, not deleted or redefined.
        client.put(RULES + "global/override/.m.rule.master/enabled", token, Map.of("enabled", true)).expect(200);
        assertThat(client.get(RULES + "global/override/.m.rule.master", token).expect(200).body())
                .containsEntry("enabled", true);
        Response redefine = client.put(RULES + "global/override/.m.rule.master", token, Map.of("actions", List.of()));
        assertThat(redefine.status()).isEqualTo(400);
        assertThat(redefine.errcode()).isEqualTo("M_INVALID_PARAM");
        Response deleteDefault = client.request("DELETE", RULES + "global/underride/.m.rule.message", token, null);
        assertThat(deleteDefault.status()).isEqualTo(400);

        client.request("DELETE", RULES + "global/content/tea", token, null).expect(200);
        assertThat(ids(client.get(RULES + "global/", token).body(), "content")).containsExactly("pie", "cake");
        Response gone = client.get(RULES + "global/content/tea", token);
        assertThat(gone.status()).isEqualTo(404);
        assertThat(gone.errcode()).isEqualTo("M_NOT_FOUND");
    }

    @Test
    void badRulesAreRefusedWithTheirReason() {
        User alice = client.register(unique("alice"));
        String token = alice.accessToken();
        record Case(String path, Object body, int status, String errcode) {}
        for (Case c : List.of(
                new Case("global/content/x", Map.of("actions", List.of("notify")), 400, "M_MISSING_PARAM"),
                new Case("global/override/x", Map.of("conditions", List.of()), 400, "M_BAD_JSON"),
                new Case("global/override/x", Map.of("actions", List.of("shout")), 400, "M_INVALID_PARAM"),
                new Case("global/override/x", Map.of("actions", List.of(), "conditions", List.of("no")), 400, "M_BAD_JSON"),
                new Case("global/nonsense/x", Map.of("actions", List.of()), 400, "M_INVALID_PARAM"),
                new Case("device/override/x", Map.of("actions", List.of()), 400, "M_INVALID_PARAM"),
                new Case("global/room/not-a-room", Map.of("actions", List.of()), 400, "M_INVALID_PARAM"),
                new Case("global/sender/not-a-user", Map.of("actions", List.of()), 400, "M_INVALID_PARAM"),
                new Case("global/content/x?before=missing", Map.of("pattern", "p", "actions", List.of()), 400,
                        "M_INVALID_PARAM"),
                new Case("global/content/x?after=.m.rule.master", Map.of("pattern", "p", "actions", List.of()), 400,
                        "M_INVALID_PARAM"))) {
            Response r = client.put(RULES + c.path(), token, c.body());
            assertThat(r.status()).as(c.path() + " " + c.body()).isEqualTo(c.status());
            assertThat(r.errcode()).as(c.path() + " " + c.body()).isEqualTo(c.errcode());
        }
        Response notJson = client.put(RULES + "global/override/x", token, "{".getBytes());
        assertThat(notJson.errcode()).isEqualTo("M_NOT_JSON");
        Response enabled = client.put(RULES + "global/override/.m.rule.master/enabled", token, Map.of("enabled", "yes"));
        assertThat(enabled.status()).isEqualTo(400);
        assertThat(client.get(RULES + "global/override/nope/enabled", token).status()).isEqualTo(404);
    }

    @Test
    void aRuleChangeReachesSyncAsMPushRules() {
        User alice = client.register(unique("alice"));
        Map<String, Object> initial = sync(client, alice, null);
        Map<String, Object> rules = pushRulesIn(initial);
        assertThat(rules).isNotNull();
        assertThat(at(rules, "global", "override")).isNotNull();
        String next = (String) initial.get("next_batch");
        client.put(RULES + "global/room/" + MatrixClient.encode("!quiet:example.org"), alice.accessToken(),
                Map.of("actions", List.of())).expect(200);
        Map<String, Object> after = sync(client, alice, next);
        assertThat(ids(at2(pushRulesIn(after)), "room")).containsExactly("!quiet:example.org");
    }

    @Test
    void unreadNotificationsCountWhatThePushRulesSayUntilTheUserSpeaks() {
        User alice = client.register(unique("alice"));
        User bob = client.register(unique("bob"));
        User carol = client.register(unique("carol"));
        String room = client.createRoom(alice, Map.of("preset", "public_chat"));
        client.join(bob, room).expect(200);
        client.join(carol, room).expect(200);
        client.sendMessage(alice, room, "one").expect(200);
        client.sendMessage(alice, room, "two").expect(200);
        client.put("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/send/m.room.message/n1",
                alice.accessToken(), Map.of("msgtype", "m.notice", "body", "a bot says")).expect(200);
        String mention = client.put("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/send/m.room.message/m1",
                alice.accessToken(), Map.of("msgtype", "m.text", "body", "bob, look",
                        "m.mentions", Map.of("user_ids", List.of(bob.userId())))).expect(200).string("event_id");

        assertThat(counts(bob, room)).isEqualTo(Map.of("notification_count", 3L, "highlight_count", 1L));
        assertThat(counts(carol, room)).isEqualTo(Map.of("notification_count", 3L, "highlight_count", 0L));
        assertThat(counts(alice, room)).isEqualTo(Map.of("notification_count", 0L, "highlight_count", 0L));

        String seen = client.sendMessage(bob, room, "seen").expect(200).string("event_id");
        assertThat(counts(bob, room)).isEqualTo(Map.of("notification_count", 0L, "highlight_count", 0L));

        // A read receipt marks the room read up to its event: after the mention, bob's message is left.
        client.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/receipt/m.read/" + MatrixClient.encode(mention),
                carol.accessToken(), Map.of()).expect(200);
        assertThat(counts(carol, room)).isEqualTo(Map.of("notification_count", 1L, "highlight_count", 0L));
        client.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/receipt/m.read/" + MatrixClient.encode(seen),
                carol.accessToken(), Map.of()).expect(200);
        assertThat(counts(carol, room)).isEqualTo(Map.of("notification_count", 0L, "highlight_count", 0L));
        client.sendMessage(alice, room, "three").expect(200);
        assertThat(counts(carol, room)).isEqualTo(Map.of("notification_count", 1L, "highlight_count", 0L));

        // Silenced: the master rule on.
        client.put(RULES + "global/override/.m.rule.master/enabled", carol.accessToken(), Map.of("enabled", true))
                .expect(200);
        assertThat(counts(carol, room)).isEqualTo(Map.of("notification_count", 0L, "highlight_count", 0L));
    }

    @Test
    void oneToOneRoomsNotifyEveryMessage() {
        User alice = client.register(unique("alice"));
        User bob = client.register(unique("bob"));
        String room = client.createRoom(alice, Map.of("preset", "trusted_private_chat", "invite", List.of(bob.userId()),
                "is_direct", true));
        client.join(bob, room).expect(200);
        client.sendMessage(alice, room, "hi").expect(200);
        assertThat(counts(bob, room)).isEqualTo(Map.of("notification_count", 1L, "highlight_count", 0L));
    }

    Map<?, ?> counts(User user, String room) {
        return (Map<?, ?>) at(sync(client, user, null), "rooms", "join", room, "unread_notifications");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> pushRulesIn(Map<String, Object> sync) {
        for (Map<String, Object> e : list(sync, "account_data", "events")) {
            if ("m.push_rules".equals(e.get("type"))) {
                return (Map<String, Object>) e.get("content");
            }
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> at2(Map<String, Object> content) {
        return (Map<String, Object>) content.get("global");
    }
}
