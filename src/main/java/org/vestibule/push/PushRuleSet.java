package org.vestibule.push;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A user's push rules as they apply (spec client-server §Push Rules): the server-default rules
 * with the user's changes to them, and the user's own rules, by kind in priority order.
 * {@code .m.rule.master} leads the overrides; the user's own rules come before the other defaults.
 *
 * <p>Stored (as the account data {@code m.push_rules}, in a shape of our own): {@code rules}, the
 * user's rules by kind in order, and {@code defaults}, the enabled flag and actions the user set
 * on server-default rules.
 */
public record PushRuleSet(Map<String, List<PushRule>> byKind) {

    /** The kinds in evaluation order. */
    static final List<String> KINDS = List.of("override", "content", "room", "sender", "underride");

    static PushRuleSet of(String userId, Map<String, Object> stored) {
        Map<String, Object> defaults = object(stored, "defaults");
        Map<String, Object> rules = object(stored, "rules");
        Map<String, List<PushRule>> byKind = new LinkedHashMap<>();
        for (String kind : KINDS) {
            List<PushRule> list = new ArrayList<>();
            if ("override".equals(kind)) {
                list.add(customised(DefaultPushRules.master(), defaults));
            }
            for (Object o : rules.get(kind) instanceof List<?> l ? l : List.of()) {
                if (o instanceof Map<?, ?> m && m.get("rule_id") instanceof String) {
                    list.add(PushRule.ofStored(m));
                }
            }
            List<PushRule> serverDefaults = switch (kind) {
                case "override" -> DefaultPushRules.override(userId);
                case "underride" -> DefaultPushRules.underride();
                default -> List.of();
            };
            serverDefaults.forEach(r -> list.add(customised(r, defaults)));
            byKind.put(kind, List.copyOf(list));
        }
        return new PushRuleSet(byKind);
    }

    Optional<PushRule> find(String kind, String ruleId) {
        return byKind.getOrDefault(kind, List.of()).stream().filter(r -> r.ruleId().equals(ruleId)).findFirst();
    }

    /** The rule set as the API and the m.push_rules event show it. */
    Map<String, Object> json() {
        Map<String, Object> out = new LinkedHashMap<>();
        byKind.forEach((kind, rules) -> out.put(kind, rules.stream().map(PushRule::json).toList()));
        return out;
    }

    private static PushRule customised(PushRule rule, Map<String, Object> defaults) {
        if (!(defaults.get(rule.ruleId()) instanceof Map<?, ?> change)) {
            return rule;
        }
        PushRule out = rule;
        if (change.get("enabled") instanceof Boolean enabled) {
            out = out.withEnabled(enabled);
        }
        if (change.get("actions") instanceof List<?> actions) {
            out = out.withActions(new ArrayList<>(actions));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Map<String, Object> map, String key) {
        return map.get(key) instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }
}
