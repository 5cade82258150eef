package org.vestibule.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One test per version-dependent rule of the redaction algorithm. */
class RedactionTests {

    private static Map<String, Object> event(String type, Map<String, Object> content) {
        return Json.objectOf("type", type, "room_id", "!r:a", "sender", "@u:a", "state_key", "",
                "content", content, "origin", "a", "membership", "join", "prev_state", List.of(),
                "origin_server_ts", 1L, "depth", 2L, "prev_events", List.of(), "auth_events", List.of(),
                "hashes", Map.of("sha256", "x"), "signatures", Map.of(), "unsigned", Map.of("age", 1L),
                "event_id", "$e:a", "extra", "dropped");
    }

    @Test
    void dropsUnprotectedTopLevelKeysInEveryVersion() {
        for (RoomVersion v : RoomVersions.all()) {
            Map<String, Object> redacted = Redaction.redact(event("m.room.message", Map.of("body", "hi")), v);
            assertThat(redacted).doesNotContainKeys("extra", "unsigned");
            assertThat(redacted).containsEntry("content", Map.of());
            assertThat(redacted).containsKeys("type", "room_id", "sender", "state_key", "hashes", "signatures",
                    "depth", "prev_events", "auth_events", "origin_server_ts", "event_id");
        }
    }

    @Test
    void v11DropsOriginMembershipAndPrevState() {
        for (RoomVersion v : RoomVersions.all()) {
            Map<String, Object> redacted = Redaction.redact(event("m.room.message", Map.of()), v);
            if (v.redaction() == RoomVersion.RedactionRules.V11) {
                assertThat(redacted).as("v%s", v.id()).doesNotContainKeys("origin", "membership", "prev_state");
            } else {
                assertThat(redacted).as("v%s", v.id()).containsKeys("origin", "membership", "prev_state");
            }
        }
    }

    @Test
    void aliasesKeptOnlyBeforeV6() {
        Map<String, Object> content = Map.of("aliases", List.of("#a:a"), "other", 1L);
        assertThat(Redaction.redact(event("m.room.aliases", content), RoomVersions.V5).get("content"))
                .isEqualTo(Map.of("aliases", List.of("#a:a")));
        assertThat(Redaction.redact(event("m.room.aliases", content), RoomVersions.V6).get("content"))
                .isEqualTo(Map.of());
    }

    @Test
    void joinRulesKeepAllowFromV8() {
        Map<String, Object> content = Map.of("join_rule", "restricted", "allow", List.of(), "other", 1L);
        assertThat(Redaction.redact(event("m.room.join_rules", content), RoomVersions.V7).get("content"))
                .isEqualTo(Map.of("join_rule", "restricted"));
        for (RoomVersion v : List.of(RoomVersions.V8, RoomVersions.V9, RoomVersions.V10, RoomVersions.V11, RoomVersions.V12)) {
            assertThat(Redaction.redact(event("m.room.join_rules", content), v).get("content"))
                    .isEqualTo(Map.of("join_rule", "restricted", "allow", List.of()));
        }
    }

    @Test
    void memberEventsKeepTheAuthoriserFromV9() {
        Map<String, Object> content = Map.of("membership", "join", "join_authorised_via_users_server", "@x:a",
                "displayname", "X");
        assertThat(Redaction.redact(event("m.room.member", content), RoomVersions.V8).get("content"))
                .isEqualTo(Map.of("membership", "join"));
        assertThat(Redaction.redact(event("m.room.member", content), RoomVersions.V9).get("content"))
                .isEqualTo(Map.of("membership", "join", "join_authorised_via_users_server", "@x:a"));
    }

    @Test
    void v11MemberEventsKeepTheSignedPartOfThirdPartyInvites() {
        Map<String, Object> content = Map.of("membership", "invite",
                "third_party_invite", Map.of("signed", Map.of("token", "t"), "display_name", "d"));
        assertThat(Redaction.redact(event("m.room.member", content), RoomVersions.V10).get("content"))
                .isEqualTo(Map.of("membership", "invite"));
        assertThat(Redaction.redact(event("m.room.member", content), RoomVersions.V11).get("content"))
                .isEqualTo(Map.of("membership", "invite", "third_party_invite", Map.of("signed", Map.of("token", "t"))));
    }

    @Test
    void createEventsKeepAllContentFromV11() {
        Map<String, Object> content = Map.of("creator", "@u:a", "room_version", "10", "m.federate", false);
        assertThat(Redaction.redact(event("m.room.create", content), RoomVersions.V10).get("content"))
                .isEqualTo(Map.of("creator", "@u:a"));
        assertThat(Redaction.redact(event("m.room.create", content), RoomVersions.V11).get("content"))
                .isEqualTo(content);
    }

    @Test
    void powerLevelsKeepInviteFromV11() {
        Map<String, Object> content = Json.objectOf("ban", 50L, "events", Map.of(), "events_default", 0L, "invite", 50L,
                "kick", 50L, "redact", 50L, "state_default", 50L, "users", Map.of(), "users_default", 0L,
                "notifications", Map.of("room", 50L));
        @SuppressWarnings("unchecked") Map<String, Object> v10 = (Map<String, Object>) Redaction.redact(event("m.room.power_levels", content), RoomVersions.V10).get("content");
        assertThat(v10).doesNotContainKeys("invite", "notifications").hasSize(8);
        @SuppressWarnings("unchecked") Map<String, Object> v11 = (Map<String, Object>) Redaction.redact(event("m.room.power_levels", content), RoomVersions.V11).get("content");
        assertThat(v11).containsKey("invite").doesNotContainKey("notifications").hasSize(9);
    }

    @Test
    void redactionsKeepRedactsInContentFromV11() {
        Map<String, Object> content = Map.of("redacts", "$x", "reason", "spam");
        assertThat(Redaction.redact(event("m.room.redaction", content), RoomVersions.V10).get("content"))
                .isEqualTo(Map.of());
        assertThat(Redaction.redact(event("m.room.redaction", content), RoomVersions.V11).get("content"))
                .isEqualTo(Map.of("redacts", "$x"));
    }

    @Test
    void historyVisibilityKeptInEveryVersion() {
        for (RoomVersion v : RoomVersions.all()) {
            assertThat(Redaction.redact(event("m.room.history_visibility",
                    Map.of("history_visibility", "shared", "x", 1L)), v).get("content"))
                    .isEqualTo(Map.of("history_visibility", "shared"));
        }
    }
}
