package org.vestibule.push;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.springframework.stereotype.Service;
import org.vestibule.accountdata.AccountData;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Identifiers;

/**
 * A user's push rules (spec client-server §Push Rules: API): the server defaults with the user's
 * changes, and rules of the user's own, kept as the account data {@code m.push_rules} so that a
 * change reaches the user's /sync like any account data.
 */
@Service
public class PushRules {

    /** Rules of one's own, all kinds together (Synapse has no limit; a client needs a few dozen). */
    static final int MAX_USER_RULES = 500;
    private static final int MAX_ACTIONS = 20;
    private static final int MAX_CONDITIONS = 20;

    private final AccountData accountData;

    PushRules(AccountData accountData) {
        this.accountData = accountData;
    }

    /** The rules as they apply to the user now. */
    public PushRuleSet ruleSet(String userId) {
        return PushRuleSet.of(userId, accountData.find(userId, null, PushRulesAccountData.TYPE).orElse(Map.of()));
    }

    Map<String, Object> rule(String userId, String scope, String kind, String ruleId) {
        return find(userId, scope, kind, ruleId).json();
    }

    /** PUT a rule of the user's own; before/after place it among the user's rules of its kind. */
    void put(String userId, String scope, String kind, String ruleId, Map<String, Object> body, String before,
             String after) {
        requireScope(scope);
        requireKind(kind);
        if (ruleId.startsWith(".")) {
            throw MatrixException.invalidParam("Rule IDs starting with '.' are the server's own; choose another");
        }
        if (ruleId.isEmpty() || ruleId.contains("/") || ruleId.contains("\\")) {
            throw MatrixException.invalidParam("A rule ID must not be empty nor contain '/' or '\\'");
        }
        if ("room".equals(kind) && !Identifiers.isRoomIdOfAnyVersion(ruleId)) {
            throw MatrixException.invalidParam("The rule ID of a room rule is the room's ID; '" + ruleId + "' is not one");
        }
        if ("sender".equals(kind) && !Identifiers.isUserId(ruleId)) {
            throw MatrixException.invalidParam("The rule ID of a sender rule is a user ID; '" + ruleId + "' is not one");
        }
        Map<String, Object> rule = new LinkedHashMap<>();
        rule.put("rule_id", ruleId);
        rule.put("enabled", true);
        if ("override".equals(kind) || "underride".equals(kind)) {
            rule.put("conditions", conditions(body.get("conditions")));
        }
        if ("content".equals(kind)) {
            if (!(body.get("pattern") instanceof String pattern)) {
                throw new MatrixException(400, Errcode.MISSING_PARAM, "A content rule needs a string 'pattern'");
            }
            rule.put("pattern", pattern);
        }
        rule.put("actions", actions(body.get("actions")));
        change(userId, stored -> {
            Map<String, Object> rules = new LinkedHashMap<>(PushRuleSet.object(stored, "rules"));
            List<Object> list = new ArrayList<>(list(rules.get(kind)));
            int existing = indexOf(list, ruleId);
            if (existing >= 0) {
                rule.put("enabled", ((Map<?, ?>) list.get(existing)).get("enabled") != Boolean.FALSE);
                list.remove(existing);
            } else if (total(rules) >= MAX_USER_RULES) {
                throw new MatrixException(400, Errcode.LIMIT_EXCEEDED, "At most " + MAX_USER_RULES
                        + " push rules of your own");
            }
            int at = existing >= 0 && before == null && after == null ? existing : 0;
            if (before != null) {
                at = place(list, before, "before");
            } else if (after != null) {
                at = place(list, after, "after") + 1;
            }
            list.add(Math.min(at, list.size()), rule);
            rules.put(kind, list);
            return with(stored, "rules", rules);
        });
    }

    void delete(String userId, String scope, String kind, String ruleId) {
        PushRule rule = find(userId, scope, kind, ruleId);
        if (rule.isDefault()) {
            throw MatrixException.invalidParam("Server-default rules cannot be deleted; disable " + ruleId + " instead");
        }
        change(userId, stored -> {
            Map<String, Object> rules = new LinkedHashMap<>(PushRuleSet.object(stored, "rules"));
            List<Object> list = new ArrayList<>(list(rules.get(kind)));
            int i = indexOf(list, ruleId);
            if (i >= 0) {
                list.remove(i);
            }
            rules.put(kind, list);
            return with(stored, "rules", rules);
        });
    }

    boolean enabled(String userId, String scope, String kind, String ruleId) {
        return find(userId, scope, kind, ruleId).enabled();
    }

    void setEnabled(String userId, String scope, String kind, String ruleId, Object enabled) {
        if (!(enabled instanceof Boolean value)) {
            throw new MatrixException(400, Errcode.BAD_JSON, "'enabled' must be true or false");
        }
        setOnRule(userId, scope, kind, ruleId, "enabled", value);
    }

    List<Object> actions(String userId, String scope, String kind, String ruleId) {
        return find(userId, scope, kind, ruleId).actions();
    }

    void setActions(String userId, String scope, String kind, String ruleId, Object actions) {
        setOnRule(userId, scope, kind, ruleId, "actions", actions(actions));
    }

    private void setOnRule(String userId, String scope, String kind, String ruleId, String field, Object value) {
        PushRule rule = find(userId, scope, kind, ruleId);
        change(userId, stored -> {
            if (rule.isDefault()) {
                Map<String, Object> defaults = new LinkedHashMap<>(PushRuleSet.object(stored, "defaults"));
                Map<String, Object> change = new LinkedHashMap<>(PushRuleSet.object(defaults, ruleId));
                change.put(field, value);
                defaults.put(ruleId, change);
                return with(stored, "defaults", defaults);
            }
            Map<String, Object> rules = new LinkedHashMap<>(PushRuleSet.object(stored, "rules"));
            List<Object> list = new ArrayList<>(list(rules.get(kind)));
            int i = indexOf(list, ruleId);
            if (i >= 0) {
                Map<String, Object> r = new LinkedHashMap<>(PushRuleSet.object(Map.of("r", list.get(i)), "r"));
                r.put(field, value);
                list.set(i, r);
            }
            rules.put(kind, list);
            return with(stored, "rules", rules);
        });
    }

    private PushRule find(String userId, String scope, String kind, String ruleId) {
        requireScope(scope);
        requireKind(kind);
        return ruleSet(userId).find(kind, ruleId).orElseThrow(() -> MatrixException.notFound("No " + kind
                + " push rule " + ruleId));
    }

    private void change(String userId, UnaryOperator<Map<String, Object>> edit) {
        accountData.modify(userId, null, PushRulesAccountData.TYPE, edit);
    }

    private static int place(List<Object> list, String relativeTo, String which) {
        if (relativeTo.startsWith(".")) {
            throw MatrixException.invalidParam("A rule cannot be placed relative to the server-default rule " + relativeTo);
        }
        int i = indexOf(list, relativeTo);
        if (i < 0) {
            throw MatrixException.invalidParam("There is no rule of your own '" + relativeTo + "' to place this one "
                    + which);
        }
        return i;
    }

    private static int indexOf(List<Object> list, String ruleId) {
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) instanceof Map<?, ?> m && ruleId.equals(m.get("rule_id"))) {
                return i;
            }
        }
        return -1;
    }

    private static int total(Map<String, Object> rules) {
        return rules.values().stream().mapToInt(v -> v instanceof List<?> l ? l.size() : 0).sum();
    }

    private static List<?> list(Object value) {
        return value instanceof List<?> l ? l : List.of();
    }

    private static Map<String, Object> with(Map<String, Object> stored, String key, Object value) {
        Map<String, Object> out = new LinkedHashMap<>(stored);
        out.put(key, value);
        return out;
    }

    /** Actions: "notify" and the historical "dont_notify" and "coalesce", or a tweak object with a string set_tweak. */
    private static List<Object> actions(Object value) {
        if (!(value instanceof List<?> list)) {
            throw new MatrixException(400, Errcode.BAD_JSON, "'actions' must be an array");
        }
        if (list.size() > MAX_ACTIONS) {
            throw MatrixException.invalidParam("At most " + MAX_ACTIONS + " actions");
        }
        for (Object a : list) {
            boolean known = "notify".equals(a) || "dont_notify".equals(a) || "coalesce".equals(a)
                    || a instanceof Map<?, ?> m && m.get("set_tweak") instanceof String;
            if (!known) {
                throw MatrixException.invalidParam("Unknown push rule action " + a
                        + ": use \"notify\" or a tweak like {\"set_tweak\": \"sound\", \"value\": \"default\"}");
            }
        }
        return new ArrayList<>(list);
    }

    private static List<Object> conditions(Object value) {
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> list)) {
            throw new MatrixException(400, Errcode.BAD_JSON, "'conditions' must be an array");
        }
        if (list.size() > MAX_CONDITIONS) {
            throw MatrixException.invalidParam("At most " + MAX_CONDITIONS + " conditions");
        }
        for (Object c : list) {
            if (!(c instanceof Map<?, ?> m) || !(m.get("kind") instanceof String)) {
                throw new MatrixException(400, Errcode.BAD_JSON, "Each condition must be an object with a string 'kind'");
            }
        }
        return new ArrayList<>(list);
    }

    private static void requireScope(String scope) {
        if (!"global".equals(scope)) {
            throw MatrixException.invalidParam("The only push rule scope is 'global', not '" + scope + "'");
        }
    }

    private static void requireKind(String kind) {
        if (!PushRuleSet.KINDS.contains(kind)) {
            throw MatrixException.invalidParam("Unknown push rule kind '" + kind + "': one of " + PushRuleSet.KINDS);
        }
    }
}
