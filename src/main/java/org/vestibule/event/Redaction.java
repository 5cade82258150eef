package org.vestibule.event;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The redaction algorithm of each room version (spec rooms/fragments/v*-redactions). */
public final class Redaction {

    private static final Set<String> TOP_LEVEL_V1 = Set.of("event_id", "type", "room_id", "sender", "state_key",
            "content", "hashes", "signatures", "depth", "prev_events", "prev_state", "auth_events", "origin",
            "origin_server_ts", "membership");
    private static final Set<String> TOP_LEVEL_V11 = Set.of("event_id", "type", "room_id", "sender", "state_key",
            "content", "hashes", "signatures", "depth", "prev_events", "auth_events", "origin_server_ts");

    private static final Set<String> POWER_LEVELS = Set.of("ban", "events", "events_default", "kick", "redact",
            "state_default", "users", "users_default");
    private static final Set<String> POWER_LEVELS_V11 = Set.of("ban", "events", "events_default", "invite", "kick",
            "redact", "state_default", "users", "users_default");

    private Redaction() {}

    /** A redacted copy of the event: only the keys the room version protects remain. */
    public static Map<String, Object> redact(Map<String, ?> event, RoomVersion version) {
        RoomVersion.RedactionRules rules = version.redaction();
        Set<String> topLevel = rules == RoomVersion.RedactionRules.V11 ? TOP_LEVEL_V11 : TOP_LEVEL_V1;
        LinkedHashMap<String, Object> redacted = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : event.entrySet()) {
            if (topLevel.contains(e.getKey())) {
                redacted.put(e.getKey(), e.getValue());
            }
        }
        Object type = event.get("type");
        Map<String, Object> content = Json.object(event, "content");
        redacted.put("content", redactContent(type instanceof String t ? t : "", content, rules));
        return redacted;
    }

    private static Map<String, Object> redactContent(String type, Map<String, Object> content,
                                                     RoomVersion.RedactionRules rules) {
        boolean v11 = rules == RoomVersion.RedactionRules.V11;
        LinkedHashMap<String, Object> kept = new LinkedHashMap<>();
        switch (type) {
            case "m.room.member" -> {
                keep(content, kept, "membership");
                if (rules == RoomVersion.RedactionRules.V9 || v11) {
                    keep(content, kept, "join_authorised_via_users_server");
                }
                if (v11 && content.get("third_party_invite") instanceof Map<?, ?> invite
                        && invite.containsKey("signed")) {
                    kept.put("third_party_invite", Map.of("signed", invite.get("signed")));
                }
            }
            case "m.room.create" -> {
                if (v11) {
                    kept.putAll(content);
                } else {
                    keep(content, kept, "creator");
                }
            }
            case "m.room.join_rules" -> {
                keep(content, kept, "join_rule");
                if (rules != RoomVersion.RedactionRules.V1 && rules != RoomVersion.RedactionRules.V6) {
                    keep(content, kept, "allow");
                }
            }
            case "m.room.power_levels" -> {
                for (String key : v11 ? POWER_LEVELS_V11 : POWER_LEVELS) {
                    keep(content, kept, key);
                }
            }
            case "m.room.history_visibility" -> keep(content, kept, "history_visibility");
            case "m.room.aliases" -> {
                if (rules == RoomVersion.RedactionRules.V1) {
                    keep(content, kept, "aliases");
                }
            }
            case "m.room.redaction" -> {
                if (v11) {
                    keep(content, kept, "redacts");
                }
            }
            default -> {
            }
        }
        return kept;
    }

    private static void keep(Map<String, Object> from, Map<String, Object> to, String key) {
        if (from.containsKey(key)) {
            to.put(key, from.get(key));
        }
    }
}
