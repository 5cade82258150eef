package org.vestibule.support;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.event.RoomVersions;
import org.vestibule.federation.outbound.FederationClient;
import org.vestibule.federation.outbound.FederationErrorResponseException;
import org.vestibule.room.LocalEvents;

/**
 * Plays the joining server by hand, through a real test homeserver's signed federation client and
 * key: make_join, then whatever send_join body a test wants, so every answer of the resident can
 * be checked exactly as a peer sees it.
 */
public final class FederationDriver {

    /** A federation answer: status and JSON body (error bodies included). */
    public record Answer(int status, Object json) {

        @SuppressWarnings("unchecked")
        public Map<String, Object> body() {
            return json instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
        }

        public String errcode() {
            return (String) body().get("errcode");
        }

        public String error() {
            return (String) body().get("error");
        }

        public Map<String, Object> event() {
            return Json.object(body(), "event");
        }
    }

    private final TestHomeservers.Homeserver joining;
    private final FederationClient client;

    public FederationDriver(TestHomeservers.Homeserver joining) {
        this.joining = joining;
        this.client = joining.bean(FederationClient.class);
    }

    public String userId(String localpart) {
        return "@" + localpart + ":" + joining.serverName();
    }

    public Answer get(String destination, String path) {
        try {
            return new Answer(200, client.get(destination, path).json());
        } catch (FederationErrorResponseException e) {
            return new Answer(e.status(), e.json());
        }
    }

    public Answer put(String destination, String path, Object body) {
        try {
            return new Answer(200, client.put(destination, path, body).json());
        } catch (FederationErrorResponseException e) {
            return new Answer(e.status(), e.json());
        }
    }

    public Answer post(String destination, String path, Object body) {
        try {
            return new Answer(200, client.post(destination, path, body).json());
        } catch (FederationErrorResponseException e) {
            return new Answer(e.status(), e.json());
        }
    }

    public Answer makeJoin(String resident, String roomId, String userId, String... versions) {
        StringBuilder q = new StringBuilder();
        for (String v : versions.length == 0 ? RoomVersions.ids().toArray(new String[0]) : versions) {
            q.append(q.length() == 0 ? "?" : "&").append("ver=").append(v);
        }
        return get(resident, "/_matrix/federation/v1/make_join/" + FederationClient.pathSegment(roomId) + "/"
                + FederationClient.pathSegment(userId) + q);
    }

    public Answer makeLeave(String resident, String roomId, String userId) {
        return get(resident, "/_matrix/federation/v1/make_leave/" + FederationClient.pathSegment(roomId) + "/"
                + FederationClient.pathSegment(userId));
    }

    /** Turns a template into a signed event of the joining server, after an optional edit. */
    public Pdu sign(Map<String, Object> template, String roomVersion, Consumer<Map<String, Object>> edit) {
        RoomVersion version = RoomVersions.byId(roomVersion).orElseThrow();
        Map<String, Object> event = Json.mutableCopy(template);
        event.remove("origin");
        event.put("origin_server_ts", System.currentTimeMillis());
        if (version.hasExplicitEventIds()) {
            event.put("event_id", joining.bean(LocalEvents.class).newEventId());
        }
        if (edit != null) {
            edit.accept(event);
        }
        return joining.bean(LocalEvents.class).sign(event, version);
    }

    public Answer sendJoin(String resident, String roomId, String eventId, Object body, int apiVersion, String query) {
        return put(resident, "/_matrix/federation/v" + apiVersion + "/send_join/" + FederationClient.pathSegment(roomId)
                + "/" + FederationClient.pathSegment(eventId) + (query == null ? "" : query), body);
    }

    public Answer sendJoin(String resident, Pdu event) {
        return sendJoin(resident, event.roomId(), event.eventId(), event.json(), 2, null);
    }

    public Answer sendLeave(String resident, Pdu event, int apiVersion) {
        return put(resident, "/_matrix/federation/v" + apiVersion + "/send_leave/" + FederationClient.pathSegment(event.roomId())
                + "/" + FederationClient.pathSegment(event.eventId()), event.json());
    }

    /** make_join then send_join v2 of the unchanged template. */
    public Answer join(String resident, String roomId, String userId) {
        Answer made = makeJoin(resident, roomId, userId);
        if (made.status() != 200) {
            return made;
        }
        Pdu event = sign(made.event(), (String) made.body().get("room_version"), null);
        return sendJoin(resident, event);
    }

    public static Map<String, Object> with(Map<String, Object> map, String key, Object value) {
        Map<String, Object> copy = new LinkedHashMap<>(map);
        copy.put(key, value);
        return copy;
    }

    public static List<Object> list(Map<String, Object> map, String key) {
        return Json.list(map, key);
    }
}
