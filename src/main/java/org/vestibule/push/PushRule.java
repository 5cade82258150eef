package org.vestibule.push;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One push rule (spec client-server §Push Rules): override and underride rules have conditions,
 * content rules a pattern, room and sender rules neither (their rule ID is the room or the sender).
 */
record PushRule(String ruleId, boolean isDefault, boolean enabled, List<Object> conditions, String pattern,
                List<Object> actions) {

    PushRule withEnabled(boolean value) {
        return new PushRule(ruleId, isDefault, value, conditions, pattern, actions);
    }

    PushRule withActions(List<Object> value) {
        return new PushRule(ruleId, isDefault, enabled, conditions, pattern, value);
    }

    /** As the push rules API shows it. */
    Map<String, Object> json() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("rule_id", ruleId);
        out.put("default", isDefault);
        out.put("enabled", enabled);
        if (conditions != null) {
            out.put("conditions", conditions);
        }
        if (pattern != null) {
            out.put("pattern", pattern);
        }
        out.put("actions", actions);
        return out;
    }

    /** A user's rule as stored (the API's shape without "default"). */
    static PushRule ofStored(Map<?, ?> json) {
        @SuppressWarnings("unchecked")
        List<Object> conditions = json.get("conditions") instanceof List<?> c ? (List<Object>) c : null;
        @SuppressWarnings("unchecked")
        List<Object> actions = json.get("actions") instanceof List<?> a ? (List<Object>) a : List.of();
        return new PushRule((String) json.get("rule_id"), false, !Boolean.FALSE.equals(json.get("enabled")), conditions,
                json.get("pattern") instanceof String p ? p : null, actions);
    }
}
