package org.vestibule.support;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.vestibule.support.MatrixClient.User;

/**
 * What the typing, receipts and presence tests read from /sync: one sync, syncing until a check
 * holds (incremental syncs with timeout=1000, as Complement's MustSyncUntil), and the ephemeral,
 * room account data and presence sections of an answer.
 */
public final class EphemeralSync {

    private EphemeralSync() {}

    public static MatrixClient.Response raw(MatrixClient client, User user, String since, long timeoutMs, String query) {
        String q = "?timeout=" + timeoutMs + (since == null ? "" : "&since=" + MatrixClient.encode(since))
                + (query == null ? "" : "&" + query);
        return client.get("/_matrix/client/v3/sync" + q, user.accessToken());
    }

    public static Map<String, Object> sync(MatrixClient client, User user, String since) {
        return raw(client, user, since, 0, null).expect(200).body();
    }

    public static String next(Map<String, Object> body) {
        return (String) body.get("next_batch");
    }

    /** Syncs from {@code since} until an answer satisfies the check (within 20 s), and returns that answer. */
    public static Map<String, Object> until(MatrixClient client, User user, String since, String what,
                                            Predicate<Map<String, Object>> check) {
        long deadline = System.currentTimeMillis() + 20_000;
        String token = since;
        List<Object> seen = new ArrayList<>();
        while (System.currentTimeMillis() < deadline) {
            Map<String, Object> body = raw(client, user, token, token == null ? 0 : 1000, null).expect(200).body();
            if (check.test(body)) {
                return body;
            }
            seen.add(Map.of("rooms", String.valueOf(body.get("rooms")), "presence", String.valueOf(body.get("presence"))));
            token = next(body);
        }
        throw new AssertionError(user.userId() + " did not see " + what + " within 20 s; saw " + seen);
    }

    /** The value at a path of object keys, or null. */
    public static Object at(Map<String, Object> body, String... path) {
        Object v = body;
        for (String key : path) {
            if (!(v instanceof Map<?, ?> m)) {
                return null;
            }
            v = m.get(key);
        }
        return v;
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> map(Object value) {
        return (Map<String, Object>) value;
    }

    /** rooms.join.{room}.ephemeral.events, empty when the room is not there. */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> ephemeral(Map<String, Object> body, String room) {
        Object events = at(body, "rooms", "join", room, "ephemeral", "events");
        return events == null ? List.of() : (List<Map<String, Object>>) events;
    }

    /** The events of a type in the room's ephemeral section. */
    public static List<Map<String, Object>> ephemeral(Map<String, Object> body, String room, String type) {
        return ephemeral(body, room).stream().filter(e -> type.equals(e.get("type"))).toList();
    }

    /** The m.typing user_ids of the room, or null when the answer has no m.typing for it. */
    @SuppressWarnings("unchecked")
    public static List<String> typing(Map<String, Object> body, String room) {
        List<Map<String, Object>> events = ephemeral(body, room, "m.typing");
        return events.isEmpty() ? null : (List<String>) at(events.get(0), "content", "user_ids");
    }

    /** The receipt data ({ts, thread_id?}) of a user's receipt of a type on an event, or null. */
    public static Map<String, Object> receipt(Map<String, Object> body, String room, String eventId, String type,
                                              String userId) {
        for (Map<String, Object> e : ephemeral(body, room, "m.receipt")) {
            Object data = at(e, "content", eventId, type, userId);
            if (data != null) {
                return map(data);
            }
        }
        return null;
    }

    /** rooms.join.{room}.account_data.events. */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> roomAccountData(Map<String, Object> body, String room) {
        Object events = at(body, "rooms", "join", room, "account_data", "events");
        return events == null ? List.of() : (List<Map<String, Object>>) events;
    }

    /** The content of the user's m.presence event in presence.events, or null. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> presence(Map<String, Object> body, String userId) {
        Object events = at(body, "presence", "events");
        if (events == null) {
            return null;
        }
        for (Map<String, Object> e : (List<Map<String, Object>>) events) {
            if (userId.equals(e.get("sender"))) {
                return map(e.get("content"));
            }
        }
        return null;
    }
}
