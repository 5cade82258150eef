package org.vestibule.push;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.vestibule.auth.PowerLevels;

/**
 * Which push rule an event matches and what its actions say (spec client-server §Push Rules,
 * §Conditions): the first enabled rule, by kind in priority order, whose conditions all hold.
 * Unknown conditions never match; "dont_notify" and "coalesce" are historical and mean nothing.
 */
final class PushRuleEvaluator {

    /** What the event is for the user: notify, and highlight. */
    record Outcome(boolean notifies, boolean highlights) {
        static final Outcome NOTHING = new Outcome(false, false);
    }

    /**
     * What else the conditions look at.
     *
     * @param memberCount  joined members of the room
     * @param powerLevels  the room's power levels (senders' levels, the notifications levels)
     * @param displayname  the user's displayname in the room, or null
     */
    record Context(String userId, long memberCount, PowerLevels powerLevels, String displayname) {}

    private static final int MAX_CACHED_PATTERNS = 4_096;
    private static final Map<String, Pattern> PATTERNS = new ConcurrentHashMap<>();

    private PushRuleEvaluator() {}

    static Outcome evaluate(PushRuleSet rules, Map<String, Object> event, Context context) {
        if (context.userId().equals(event.get("sender"))) {
            return Outcome.NOTHING; // spec: never for events the user sent themselves
        }
        for (String kind : PushRuleSet.KINDS) {
            for (PushRule rule : rules.byKind().getOrDefault(kind, List.of())) {
                if (rule.enabled() && matches(kind, rule, event, context)) {
                    return outcome(rule.actions());
                }
            }
        }
        return Outcome.NOTHING;
    }

    static Outcome outcome(List<Object> actions) {
        boolean notify = false;
        boolean highlight = false;
        for (Object a : actions) {
            if ("notify".equals(a)) {
                notify = true;
            } else if (a instanceof Map<?, ?> tweak && "highlight".equals(tweak.get("set_tweak"))) {
                highlight = !Boolean.FALSE.equals(tweak.get("value"));
            }
        }
        return new Outcome(notify, highlight);
    }

    private static boolean matches(String kind, PushRule rule, Map<String, Object> event, Context context) {
        return switch (kind) {
            case "content" -> rule.pattern() != null && globMatches(rule.pattern(), value(event, "content.body"), true);
            case "room" -> rule.ruleId().equals(event.get("room_id"));
            case "sender" -> rule.ruleId().equals(event.get("sender"));
            default -> {
                for (Object c : rule.conditions() == null ? List.of() : rule.conditions()) {
                    if (!(c instanceof Map<?, ?> condition) || !holds(condition, event, context)) {
                        yield false;
                    }
                }
                yield true;
            }
        };
    }

    private static boolean holds(Map<?, ?> condition, Map<String, Object> event, Context context) {
        Object kind = condition.get("kind");
        if ("event_match".equals(kind)) {
            if (!(condition.get("key") instanceof String key) || !(condition.get("pattern") instanceof String pattern)) {
                return false;
            }
            return globMatches(pattern, value(event, key), "content.body".equals(key));
        }
        if ("event_property_is".equals(kind)) {
            return condition.get("key") instanceof String key && isPlain(condition.get("value"))
                    && isPresent(event, key) && equal(value(event, key), condition.get("value"));
        }
        if ("event_property_contains".equals(kind)) {
            if (!(condition.get("key") instanceof String key) || !(value(event, key) instanceof List<?> list)) {
                return false;
            }
            Object wanted = condition.get("value");
            return isPlain(wanted) && list.stream().anyMatch(v -> isPlain(v) && equal(v, wanted));
        }
        if ("contains_display_name".equals(kind)) {
            String name = context.displayname();
            return name != null && !name.isEmpty() && value(event, "content.body") instanceof String body
                    && Pattern.compile("(^|\\W)" + Pattern.quote(name) + "(\\W|$)", Pattern.CASE_INSENSITIVE
                    | Pattern.UNICODE_CASE).matcher(body).find();
        }
        if ("room_member_count".equals(kind)) {
            return condition.get("is") instanceof String is && memberCountMatches(is, context.memberCount());
        }
        if ("sender_notification_permission".equals(kind)) {
            if (!(condition.get("key") instanceof String key)) {
                return false;
            }
            return event.get("sender") instanceof String sender
                    && context.powerLevels().userLevel(sender) >= context.powerLevels().notification(key);
        }
        return false;
    }

    static boolean memberCountMatches(String is, long count) {
        String op = "==";
        for (String candidate : List.of("==", "<=", ">=", "<", ">")) {
            if (is.startsWith(candidate)) {
                op = candidate;
                break;
            }
        }
        String number = is.startsWith(op) ? is.substring(op.length()) : is;
        long n;
        try {
            n = Long.parseLong(number);
        } catch (NumberFormatException e) {
            return false;
        }
        return switch (op) {
            case "<" -> count < n;
            case ">" -> count > n;
            case "<=" -> count <= n;
            case ">=" -> count >= n;
            default -> count == n;
        };
    }

    /**
     * Glob matching (spec appendix §Glob-style matching: {@code *} any run, {@code ?} one
     * character), case-insensitive; for {@code content.body} any substring between word boundaries.
     */
    static boolean globMatches(String glob, Object value, boolean words) {
        if (!(value instanceof String s)) {
            return false;
        }
        String key = (words ? "w" : "f") + glob;
        Pattern p = PATTERNS.get(key);
        if (p == null) {
            StringBuilder regex = new StringBuilder(words ? "(?:^|[^A-Za-z0-9_])" : "^");
            StringBuilder literal = new StringBuilder();
            for (int i = 0; i < glob.length(); i++) {
                char c = glob.charAt(i);
                if (c == '*' || c == '?') {
                    regex.append(Pattern.quote(literal.toString()));
                    literal.setLength(0);
                    regex.append(c == '*' ? ".*?" : ".");
                } else {
                    literal.append(c);
                }
            }
            regex.append(Pattern.quote(literal.toString())).append(words ? "(?:[^A-Za-z0-9_]|$)" : "$");
            p = Pattern.compile(regex.toString(), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.DOTALL);
            if (PATTERNS.size() < MAX_CACHED_PATTERNS) {
                PATTERNS.put(key, p);
            }
        }
        return p.matcher(s).find();
    }

    /** A dot-separated property path (spec appendix): {@code \.} is a dot within a key, {@code \\} a backslash. */
    static List<String> path(String key) {
        List<String> parts = new ArrayList<>();
        StringBuilder part = new StringBuilder();
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c == '\\' && i + 1 < key.length() && (key.charAt(i + 1) == '.' || key.charAt(i + 1) == '\\')) {
                part.append(key.charAt(++i));
            } else if (c == '.') {
                parts.add(part.toString());
                part.setLength(0);
            } else {
                part.append(c);
            }
        }
        parts.add(part.toString());
        return parts;
    }

    private static Object value(Map<String, Object> event, String key) {
        Object v = event;
        for (String part : path(key)) {
            if (!(v instanceof Map<?, ?> m) || !m.containsKey(part)) {
                return null;
            }
            v = m.get(part);
        }
        return v;
    }

    private static boolean isPresent(Map<String, Object> event, String key) {
        Object v = event;
        for (String part : path(key)) {
            if (!(v instanceof Map<?, ?> m) || !m.containsKey(part)) {
                return false;
            }
            v = m.get(part);
        }
        return true;
    }

    private static boolean isPlain(Object v) {
        return v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Integer;
    }

    private static boolean equal(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            return x.longValue() == y.longValue() && !(a instanceof Double) && !(b instanceof Double);
        }
        return a == null ? b == null : a.equals(b);
    }
}
