package org.vestibule.clientapi;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.event.MalformedJsonException;
import org.vestibule.event.Pdu;
import org.vestibule.event.StrictJsonParser;

/**
 * The {@code filter} parameter of /messages and /context (spec client-server §Filtering,
 * RoomEventFilter), as far as it goes here: {@code types}, {@code not_types}, {@code senders},
 * {@code not_senders} ({@code *} matching any run of characters in types), {@code limit} and, for
 * /context's state, {@code lazy_load_members}; the rest is accepted and ignored. Applied in the
 * query, so pages come full.
 *
 * @param types      event types to include, null for all (an empty list includes none)
 * @param notTypes   event types to leave out; they win over {@code types}
 * @param senders    senders to include, null for all
 * @param notSenders senders to leave out
 * @param limit      the filter's own limit, or null
 * @param lazyLoadMembers of the members, only those who sent the events returned (spec §Lazy-loading room members)
 */
record RoomEventFilter(List<String> types, List<String> notTypes, List<String> senders, List<String> notSenders,
                       Integer limit, boolean lazyLoadMembers) {

    static final RoomEventFilter ALL = new RoomEventFilter(null, List.of(), null, List.of(), null, false);

    private static final int MAX_ENTRIES = 100;
    private static final StrictJsonParser.Limits LIMITS = new StrictJsonParser.Limits(16 * 1024, 16);

    /** Parses the JSON of a query parameter; null or empty means no filter. */
    static RoomEventFilter parse(String parameter, String json) {
        if (json == null || json.isEmpty()) {
            return ALL;
        }
        Map<String, Object> map;
        try {
            map = StrictJsonParser.parseObject(json.getBytes(StandardCharsets.UTF_8), LIMITS);
        } catch (MalformedJsonException e) {
            throw new MatrixException(400, Errcode.NOT_JSON, "'" + parameter + "' is not a JSON filter: " + e.getMessage());
        }
        RoomEventFilter filter = of(map, "filter's");
        if (filter.limit() != null && filter.limit() == 0) {
            throw MatrixException.invalidParam("The filter's limit must be a positive integer");
        }
        return filter;
    }

    /**
     * One (Room)EventFilter object of a filter; {@code where} names it in errors ("filter's",
     * "filter's presence"). Null or absent is {@link #ALL}.
     */
    static RoomEventFilter of(Object value, String where) {
        if (value == null) {
            return ALL;
        }
        if (!(value instanceof Map<?, ?> raw)) {
            throw MatrixException.invalidParam("The " + where + " filter must be a JSON object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) raw;
        Integer limit = null;
        if (map.get("limit") != null) {
            if (!(map.get("limit") instanceof Long n) || n < 0) {
                throw MatrixException.invalidParam("The " + where + " limit must be a whole number, not negative");
            }
            limit = (int) Math.min(n, RoomMessages.MAX_LIMIT);
        }
        List<String> notTypes = strings(map, "not_types", where);
        List<String> notSenders = strings(map, "not_senders", where);
        Object lazy = map.get("lazy_load_members");
        if (lazy != null && !(lazy instanceof Boolean)) {
            throw MatrixException.invalidParam("The " + where + " lazy_load_members must be true or false");
        }
        return new RoomEventFilter(strings(map, "types", where), notTypes == null ? List.of() : notTypes,
                strings(map, "senders", where), notSenders == null ? List.of() : notSenders, limit,
                Boolean.TRUE.equals(lazy));
    }

    static List<String> strings(Map<String, Object> map, String key, String where) {
        Object value = map.get(key);
        if (value == null) {
            return null;
        }
        if (!(value instanceof List<?> list) || list.size() > MAX_ENTRIES) {
            throw MatrixException.invalidParam("The " + where + " " + key + " must be a list of at most " + MAX_ENTRIES
                    + " strings");
        }
        List<String> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof String s)) {
                throw MatrixException.invalidParam("The " + where + " " + key + " must list strings");
            }
            out.add(s);
        }
        return Collections.unmodifiableList(out);
    }

    /** Whether an event passes the filter (for events already loaded: /context's state). */
    boolean matches(Pdu event) {
        return passes(event.type(), event.sender());
    }

    /**
     * Events given as client JSON (presence, account data, ephemeral events) that pass the filter,
     * at most its limit. The sender is {@code sender}, else {@code content.user_id} (old presence);
     * an event with neither fails a {@code senders} list, as in Synapse.
     */
    List<Map<String, Object>> apply(List<Map<String, Object>> events) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> event : events) {
            if (limit != null && out.size() >= limit) {
                break;
            }
            Object sender = event.get("sender");
            if (sender == null && event.get("content") instanceof Map<?, ?> content) {
                sender = content.get("user_id");
            }
            if (passes(event.get("type") instanceof String t ? t : "", sender instanceof String s ? s : null)) {
                out.add(event);
            }
        }
        return out;
    }

    /** The type and sender conditions; a null sender passes only when no {@code senders} list is given. */
    private boolean passes(String type, String sender) {
        return (types == null || types.stream().anyMatch(t -> glob(t, type)))
                && notTypes.stream().noneMatch(t -> glob(t, type))
                && (senders == null || sender != null && senders.contains(sender))
                && (sender == null || !notSenders.contains(sender));
    }

    /** The smaller of a request's limit and the filter's own. */
    int limit(int requested) {
        return limit == null ? requested : Math.min(requested, limit);
    }

    /** A type pattern where {@code *} matches any run of characters. */
    private static boolean glob(String pattern, String value) {
        String[] parts = pattern.split("\\*", -1);
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                regex.append(".*");
            }
            regex.append(Pattern.quote(parts[i]));
        }
        return Pattern.matches(regex.toString(), value);
    }

    /** The filter as SQL conditions on the events table's type and sender columns. */
    void appendSql(StringBuilder sql, List<Object> args) {
        if (types != null) {
            sql.append(" and ").append(anyOf("type", types, true, args));
        }
        if (!notTypes.isEmpty()) {
            sql.append(" and not ").append(anyOf("type", notTypes, true, args));
        }
        if (senders != null) {
            sql.append(" and ").append(anyOf("sender", senders, false, args));
        }
        if (!notSenders.isEmpty()) {
            sql.append(" and not ").append(anyOf("sender", notSenders, false, args));
        }
    }

    private static String anyOf(String column, List<String> values, boolean wildcards, List<Object> args) {
        if (values.isEmpty()) {
            return "false";
        }
        List<String> terms = new ArrayList<>();
        for (String v : values) {
            if (wildcards) {
                terms.add(column + " like ?");
                args.add(v.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace('*', '%'));
            } else {
                terms.add(column + " = ?");
                args.add(v);
            }
        }
        return "(" + String.join(" or ", terms) + ")";
    }
}
