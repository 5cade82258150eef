package org.vestibule.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.vestibule.event.Json;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.User;

/** Paging back through a room's history with /messages as a client does, the tokens chaining. */
final class Paging {

    /** Every page's events in order, and the tokens each page came with. */
    record Walk(List<Map<String, Object>> events, List<String> starts, List<String> ends, int pages) {

        /** The bodies of the m.room.message events, in the order the pages gave them (newest first). */
        List<String> bodies() {
            List<String> out = new ArrayList<>();
            for (Map<String, Object> e : events) {
                if ("m.room.message".equals(e.get("type"))) {
                    out.add((String) Json.object(e, "content").get("body"));
                }
            }
            return out;
        }

        List<String> ids() {
            return events.stream().map(e -> (String) e.get("event_id")).toList();
        }

        List<String> types() {
            return events.stream().map(e -> (String) e.get("type")).toList();
        }
    }

    private Paging() {}

    static MatrixClient.Response page(MatrixClient client, User user, String roomId, String from, int limit) {
        return client.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(roomId) + "/messages?dir=b&limit=" + limit
                + (from == null ? "" : "&from=" + MatrixClient.encode(from)), user.accessToken());
    }

    /**
     * Pages back from {@code from} (the newest event when null) until a page comes without
     * {@code end}; every page's {@code start} is the {@code end} of the one before.
     */
    @SuppressWarnings("unchecked")
    static Walk back(MatrixClient client, User user, String roomId, String from, int limit) {
        List<Map<String, Object>> events = new ArrayList<>();
        List<String> starts = new ArrayList<>();
        List<String> ends = new ArrayList<>();
        String token = from;
        for (int pages = 1; pages <= 200; pages++) {
            Map<String, Object> body = page(client, user, roomId, token, limit).expect(200).body();
            if (token != null) {
                assertThat(body.get("start")).as("page %d's start is the token it was asked from", pages).isEqualTo(token);
            }
            starts.add((String) body.get("start"));
            List<Object> chunk = Json.list(body, "chunk");
            assertThat(chunk.size()).as("page %d holds at most the limit", pages).isLessThanOrEqualTo(limit);
            chunk.forEach(e -> events.add((Map<String, Object>) e));
            String end = (String) body.get("end");
            if (end == null) {
                return new Walk(events, starts, ends, pages);
            }
            ends.add(end);
            token = end;
        }
        throw new AssertionError("paging back through " + roomId + " did not end within 200 pages");
    }
}
