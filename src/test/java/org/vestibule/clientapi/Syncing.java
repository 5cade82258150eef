package org.vestibule.clientapi;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.User;

/** /sync from tests: one call, or Complement's MustSyncUntil (incremental syncs until a check holds, 5 s at most). */
public final class Syncing {

    /** Complement's SyncUntilTimeout. */
    public static final long BUDGET_MS = 5_000;

    private Syncing() {}

    public static MatrixClient.Response raw(MatrixClient client, User user, String since, long timeoutMs) {
        String q = "?timeout=" + timeoutMs + (since == null ? "" : "&since=" + MatrixClient.encode(since));
        return client.get("/_matrix/client/v3/sync" + q, user.accessToken());
    }

    public static Map<String, Object> sync(MatrixClient client, User user, String since) {
        return raw(client, user, since, 0).expect(200).body();
    }

    /**
     * Syncs from {@code since} (an initial sync when null) with {@code timeout=1000} until a response
     * satisfies the check, as Complement's MustSyncUntil does, and returns that response.
     */
    public static Map<String, Object> until(MatrixClient client, User user, String since, String what,
                                     Predicate<Map<String, Object>> check) {
        long deadline = System.currentTimeMillis() + BUDGET_MS;
        String token = since;
        List<Object> seen = new ArrayList<>();
        while (System.currentTimeMillis() < deadline) {
            Map<String, Object> body = raw(client, user, token, token == null ? 0 : 1000).expect(200).body();
            if (check.test(body)) {
                return body;
            }
            seen.add(body.get("rooms"));
            token = (String) body.get("next_batch");
        }
        throw new AssertionError(user.userId() + " did not see " + what + " within " + BUDGET_MS + " ms; saw " + seen);
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
    public static Map<String, Object> map(Map<String, Object> body, String... path) {
        return (Map<String, Object>) at(body, path);
    }

    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> list(Map<String, Object> body, String... path) {
        return (List<Map<String, Object>>) at(body, path);
    }

    public static List<Map<String, Object>> timeline(Map<String, Object> body, String section, String roomId) {
        List<Map<String, Object>> events = list(body, "rooms", section, roomId, "timeline", "events");
        return events == null ? List.of() : events;
    }

    public static List<Map<String, Object>> state(Map<String, Object> body, String section, String roomId) {
        List<Map<String, Object>> events = list(body, "rooms", section, roomId, "state", "events");
        return events == null ? List.of() : events;
    }

    public static List<String> ids(List<Map<String, Object>> events) {
        return events.stream().map(e -> (String) e.get("event_id")).toList();
    }

    public static List<String> types(List<Map<String, Object>> events) {
        return events.stream().map(e -> (String) e.get("type")).toList();
    }

    public static boolean hasMember(List<Map<String, Object>> events, String userId, String membership) {
        return events.stream().anyMatch(e -> "m.room.member".equals(e.get("type")) && userId.equals(e.get("state_key"))
                && membership.equals(at(e, "content", "membership")));
    }
}
