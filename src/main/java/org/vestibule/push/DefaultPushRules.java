package org.vestibule.push;

import java.util.List;
import java.util.Map;

/**
 * The server-default push rules of spec v1.17 (client-server §Predefined Rules), in priority order.
 * The legacy rules that looked for mentions in the body were removed from the spec in v1.17, so
 * none are here: mentions are {@code m.mentions}.
 */
final class DefaultPushRules {

    private DefaultPushRules() {}

    private static final Map<String, Object> SOUND = Map.of("set_tweak", "sound", "value", "default");
    private static final Map<String, Object> HIGHLIGHT = Map.of("set_tweak", "highlight");

    /** .m.rule.master: always the first override, whatever the user adds. */
    static PushRule master() {
        return new PushRule(".m.rule.master", true, false, List.of(), null, List.of());
    }

    /** The other default overrides, which come after the user's own. */
    static List<PushRule> override(String userId) {
        return List.of(
                rule(".m.rule.suppress_notices", List.of(match("content.msgtype", "m.notice")), List.of()),
                rule(".m.rule.invite_for_me", List.of(match("type", "m.room.member"),
                        match("content.membership", "invite"), match("state_key", userId)), List.of("notify", SOUND)),
                rule(".m.rule.member_event", List.of(match("type", "m.room.member")), List.of()),
                rule(".m.rule.is_user_mention", List.of(Map.of("kind", "event_property_contains",
                        "key", "content.m\\.mentions.user_ids", "value", userId)), List.of("notify", SOUND, HIGHLIGHT)),
                rule(".m.rule.is_room_mention", List.of(Map.of("kind", "event_property_is",
                        "key", "content.m\\.mentions.room", "value", true),
                        Map.of("kind", "sender_notification_permission", "key", "room")), List.of("notify", HIGHLIGHT)),
                rule(".m.rule.tombstone", List.of(match("type", "m.room.tombstone"), match("state_key", "")),
                        List.of("notify", HIGHLIGHT)),
                rule(".m.rule.reaction", List.of(match("type", "m.reaction")), List.of()),
                rule(".m.rule.room.server_acl", List.of(match("type", "m.room.server_acl"), match("state_key", "")),
                        List.of()),
                rule(".m.rule.suppress_edits", List.of(Map.of("kind", "event_property_is",
                        "key", "content.m\\.relates_to.rel_type", "value", "m.replace")), List.of()));
    }

    static List<PushRule> underride() {
        return List.of(
                rule(".m.rule.call", List.of(match("type", "m.call.invite")),
                        List.of("notify", Map.of("set_tweak", "sound", "value", "ring"))),
                rule(".m.rule.encrypted_room_one_to_one", List.of(Map.of("kind", "room_member_count", "is", "2"),
                        match("type", "m.room.encrypted")), List.of("notify", SOUND)),
                rule(".m.rule.room_one_to_one", List.of(Map.of("kind", "room_member_count", "is", "2"),
                        match("type", "m.room.message")), List.of("notify", SOUND)),
                rule(".m.rule.message", List.of(match("type", "m.room.message")), List.of("notify")),
                rule(".m.rule.encrypted", List.of(match("type", "m.room.encrypted")), List.of("notify")));
    }

    private static PushRule rule(String id, List<Object> conditions, List<Object> actions) {
        return new PushRule(id, true, true, conditions, null, actions);
    }

    private static Map<String, Object> match(String key, String pattern) {
        return Map.of("kind", "event_match", "key", key, "pattern", pattern);
    }
}
