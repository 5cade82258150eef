package org.vestibule.push;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.vestibule.auth.PowerLevels;
import org.vestibule.event.RoomVersions;
import org.vestibule.push.PushRuleEvaluator.Context;
import org.vestibule.push.PushRuleEvaluator.Outcome;

/** The push rule conditions of spec client-server §Push Rules, with the spec's own examples, and the default rules. */
class PushRuleEvaluatorTests {

    static final String ME = "@me:example.org";
    static final PowerLevels LEVELS = PowerLevels.parse(RoomVersions.V10,
            Map.of("users", Map.of("@mod:example.org", 50L, "@admin:example.org", 100L)), Set.of());

    static Context group(long members) {
        return new Context(ME, members, LEVELS, "Me Myself");
    }

    static Map<String, Object> message(String sender, Map<String, Object> content) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("type", "m.room.message");
        e.put("sender", sender);
        e.put("room_id", "!room:example.org");
        e.put("content", content);
        return e;
    }

    static Outcome defaults(Map<String, Object> event, Context context) {
        return PushRuleEvaluator.evaluate(PushRuleSet.of(ME, Map.of()), event, context);
    }

    @ParameterizedTest(name = "event_match lunc?* against \"{0}\": {1}")
    @CsvSource(delimiter = '|', value = {"Lunch plans|true", "LUNCH|true", "' lunch'|false", "lunc|false"})
    void eventMatchIsAWholeCaseInsensitiveGlob(String topic, boolean matches) {
        assertThat(PushRuleEvaluator.globMatches("lunc?*", topic, false)).isEqualTo(matches);
    }

    @ParameterizedTest(name = "content.body ex*ple against \"{0}\": {1}")
    @CsvSource(delimiter = '|', value = {"An example event.|true", "exple|true", "An exciting triple-whammy|true",
            "examples|false", "sexample|false", "exampled|false"})
    void bodyMatchesBetweenWordBoundaries(String body, boolean matches) {
        assertThat(PushRuleEvaluator.globMatches("ex*ple", body, true)).isEqualTo(matches);
    }

    @Test
    void globsMatchNothingButStrings() {
        assertThat(PushRuleEvaluator.globMatches("*", null, false)).isFalse();
        assertThat(PushRuleEvaluator.globMatches("*", 5L, false)).isFalse();
        assertThat(PushRuleEvaluator.globMatches("a.b", "aXb", false)).isFalse(); // a dot is no wildcard
    }

    @Test
    void dottedPathsUnescapeDotsAndBackslashes() {
        assertThat(PushRuleEvaluator.path("content.m\\.mentions.user_ids")).containsExactly("content", "m.mentions",
                "user_ids");
        assertThat(PushRuleEvaluator.path("a\\\\.b")).containsExactly("a\\", "b");
        assertThat(PushRuleEvaluator.path("a\\b")).containsExactly("a\\b");
    }

    @ParameterizedTest(name = "room_member_count is {0} with {1} members: {2}")
    @CsvSource({"2,2,true", "==2,2,true", "2,3,false", "<3,2,true", "<3,3,false", ">2,3,true", ">=3,3,true",
            "<=1,2,false", "x,2,false", ">=,2,false"})
    void memberCount(String is, long members, boolean matches) {
        assertThat(PushRuleEvaluator.memberCountMatches(is, members)).isEqualTo(matches);
    }

    @Test
    void aMessageInAGroupNotifiesWithoutHighlight() {
        assertThat(defaults(message("@you:example.org", Map.of("msgtype", "m.text", "body", "hi")), group(3)))
                .isEqualTo(new Outcome(true, false));
    }

    @Test
    void ownEventsNeverNotify() {
        assertThat(defaults(message(ME, Map.of("body", "hi")), group(3))).isEqualTo(Outcome.NOTHING);
    }

    @Test
    void noticesAndReactionsAndEditsAreSuppressed() {
        assertThat(defaults(message("@you:example.org", Map.of("msgtype", "m.notice", "body", "bot")), group(3)))
                .isEqualTo(Outcome.NOTHING);
        Map<String, Object> reaction = message("@you:example.org", Map.of());
        reaction.put("type", "m.reaction");
        assertThat(defaults(reaction, group(3))).isEqualTo(Outcome.NOTHING);
        assertThat(defaults(message("@you:example.org", Map.of("body", "* fixed", "m.relates_to",
                Map.of("rel_type", "m.replace", "event_id", "$x"))), group(3))).isEqualTo(Outcome.NOTHING);
    }

    @Test
    void aUserMentionHighlights() {
        assertThat(defaults(message("@you:example.org", Map.of("body", "hey", "m.mentions",
                Map.of("user_ids", List.of("@other:example.org", ME)))), group(5))).isEqualTo(new Outcome(true, true));
        // The name in the body alone is no mention since spec v1.17.
        assertThat(defaults(message("@you:example.org", Map.of("body", "hey @me:example.org")), group(5)))
                .isEqualTo(new Outcome(true, false));
    }

    @Test
    void aRoomMentionHighlightsOnlyFromSendersWithTheNotificationLevel() {
        Map<String, Object> content = Map.of("body", "@room", "m.mentions", Map.of("room", true));
        assertThat(defaults(message("@mod:example.org", content), group(5))).isEqualTo(new Outcome(true, true));
        assertThat(defaults(message("@you:example.org", content), group(5))).isEqualTo(new Outcome(true, false));
    }

    @Test
    void eventPropertyIsComparesExactlyWithoutCasting() {
        Map<String, Object> content = Map.of("body", "@room", "m.mentions", Map.of("room", "true"));
        assertThat(defaults(message("@admin:example.org", content), group(5))).isEqualTo(new Outcome(true, false));
    }

    @Test
    void oneToOneRoomsUseTheirOwnRule() {
        PushRuleSet rules = PushRuleSet.of(ME, Map.of());
        assertThat(PushRuleEvaluator.evaluate(rules, message("@you:example.org", Map.of("body", "hi")), group(2)))
                .isEqualTo(new Outcome(true, false));
        assertThat(rules.find("underride", ".m.rule.room_one_to_one")).isPresent();
    }

    @Test
    void invitesForMeNotifyAndOtherMemberEventsDoNot() {
        Map<String, Object> invite = new LinkedHashMap<>(Map.of("type", "m.room.member", "sender", "@you:example.org",
                "state_key", ME, "content", Map.of("membership", "invite")));
        assertThat(defaults(invite, group(3)).notifies()).isTrue();
        invite.put("state_key", "@else:example.org");
        assertThat(defaults(invite, group(3))).isEqualTo(Outcome.NOTHING);
    }

    @Test
    void theMasterRuleSilencesEverythingWhenEnabled() {
        PushRuleSet silenced = PushRuleSet.of(ME, Map.of("defaults", Map.of(".m.rule.master", Map.of("enabled", true))));
        assertThat(PushRuleEvaluator.evaluate(silenced, message("@you:example.org", Map.of("body", "hi")), group(3)))
                .isEqualTo(Outcome.NOTHING);
    }

    @Test
    void userRulesComeBeforeTheDefaultsAndUnknownConditionsNeverMatch() {
        Map<String, Object> stored = Map.of("rules", Map.of(
                "override", List.of(Map.of("rule_id", "mystery", "conditions", List.of(Map.of("kind", "org.unknown")),
                        "actions", List.of("notify", Map.of("set_tweak", "highlight")))),
                "content", List.of(Map.of("rule_id", "cake", "pattern", "cake*lie", "actions",
                        List.of("notify", Map.of("set_tweak", "highlight")))),
                "sender", List.of(Map.of("rule_id", "@noisy:example.org", "actions", List.of()))));
        PushRuleSet rules = PushRuleSet.of(ME, stored);
        assertThat(rules.byKind().get("override").get(0).ruleId()).isEqualTo(".m.rule.master");
        assertThat(rules.byKind().get("override").get(1).ruleId()).isEqualTo("mystery");
        assertThat(PushRuleEvaluator.evaluate(rules, message("@you:example.org", Map.of("body", "the cake is a lie")),
                group(3))).isEqualTo(new Outcome(true, true));
        assertThat(PushRuleEvaluator.evaluate(rules, message("@noisy:example.org", Map.of("body", "hi")), group(3)))
                .isEqualTo(Outcome.NOTHING);
        assertThat(PushRuleEvaluator.evaluate(rules, message("@you:example.org", Map.of("body", "hi")), group(3)))
                .isEqualTo(new Outcome(true, false));
    }

    @Test
    void aDisabledRuleIsSkippedAndChangedActionsApply() {
        PushRuleSet rules = PushRuleSet.of(ME, Map.of("defaults", Map.of(
                ".m.rule.message", Map.of("actions", List.of("notify", Map.of("set_tweak", "highlight", "value", true))),
                ".m.rule.suppress_notices", Map.of("enabled", false))));
        assertThat(PushRuleEvaluator.evaluate(rules, message("@you:example.org", Map.of("msgtype", "m.notice",
                "body", "bot")), group(3))).isEqualTo(new Outcome(true, true));
        assertThat(PushRuleEvaluator.outcome(List.of("notify", Map.of("set_tweak", "highlight", "value", false))))
                .isEqualTo(new Outcome(true, false));
        assertThat(PushRuleEvaluator.outcome(List.of("dont_notify", "coalesce"))).isEqualTo(Outcome.NOTHING);
    }
}
