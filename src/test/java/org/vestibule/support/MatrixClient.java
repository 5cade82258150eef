package org.vestibule.support;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.vestibule.event.CanonicalJson;
import org.vestibule.event.Json;
import org.vestibule.event.MalformedJsonException;
import org.vestibule.event.StrictJsonParser;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** A small client-server API client for tests: real HTTP, JSON in and out. */
public final class MatrixClient {

    /** A response: status and parsed JSON body (an object, or {"_list": [...]} for arrays). */
    public record Response(int status, Map<String, Object> body, String raw, Map<String, List<String>> headers) {

        /** A response header's first value (names are case-insensitive), or null. */
        public String header(String name) {
            for (Map.Entry<String, List<String>> h : headers.entrySet()) {
                if (h.getKey().equalsIgnoreCase(name) && !h.getValue().isEmpty()) {
                    return h.getValue().get(0);
                }
            }
            return null;
        }

        public String errcode() {
            return (String) body.get("errcode");
        }

        public String error() {
            return (String) body.get("error");
        }

        public String string(String key) {
            return (String) body.get(key);
        }

        public Response expect(int expected) {
            if (status != expected) {
                throw new AssertionError("expected HTTP " + expected + " but got " + status + ": " + raw);
            }
            return this;
        }
    }

    /** A logged-in user. */
    public record User(String userId, String accessToken, String deviceId) {}

    private final String baseUrl;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public MatrixClient(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    public static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    public Response request(String method, String path, String token, Object body) {
        return request(method, path, token, body, "application/json");
    }

    /** A request whose body (JSON of {@code body}, or the bytes given) declares {@code contentType}. */
    public Response request(String method, String path, String token, Object body, String contentType) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(60));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : body instanceof byte[] bytes ? HttpRequest.BodyPublishers.ofByteArray(bytes)
                : HttpRequest.BodyPublishers.ofByteArray(CanonicalJson.encode(body));
        if (body != null && contentType != null) {
            b.header("Content-Type", contentType);
        }
        b.method(method, publisher);
        try {
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            String raw = new String(r.body(), StandardCharsets.UTF_8);
            Map<String, Object> parsed = Map.of();
            if (r.body().length > 0) {
                Object v = parse(r.body());
                parsed = v instanceof Map<?, ?> ? Json.object(Map.of("v", v), "v") : Map.of("_list", v);
            }
            return new Response(r.statusCode(), parsed, raw, r.headers().map());
        } catch (Exception e) {
            throw new IllegalStateException(method + " " + path + " failed: " + e, e);
        }
    }

    /** Strictly, as canonical JSON; what canonical JSON has not (a tag's order, 0.5) through Jackson, integers as Long. */
    private static Object parse(byte[] body) {
        try {
            return StrictJsonParser.parse(body, new StrictJsonParser.Limits(1 << 28, 128));
        } catch (MalformedJsonException e) {
            return LENIENT.readValue(body, Object.class);
        }
    }

    private static final JsonMapper LENIENT = JsonMapper.builder()
            .enable(DeserializationFeature.USE_LONG_FOR_INTS).build();

    /** A response read as bytes (media), with its headers; {@link #json()} for error bodies. */
    public record Raw(int status, Map<String, List<String>> headers, byte[] body) {

        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().get(0)).findFirst().orElse(null);
        }

        public Response json() {
            Map<String, Object> parsed = body.length == 0 ? Map.of()
                    : StrictJsonParser.parseObject(body, new StrictJsonParser.Limits(1 << 20, 32));
            return new Response(status, parsed, new String(body, StandardCharsets.UTF_8), headers);
        }

        public Raw expect(int expected) {
            if (status != expected) {
                throw new AssertionError("expected HTTP " + expected + " but got " + status + ": "
                        + new String(body, StandardCharsets.UTF_8));
            }
            return this;
        }
    }

    /** Any request with a raw body of the given type (null: none), answered as bytes. */
    public Raw raw(String method, String path, String token, String contentType, byte[] body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(60));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        try {
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Raw(r.statusCode(), r.headers().map(), r.body());
        } catch (Exception e) {
            throw new IllegalStateException(method + " " + path + " failed: " + e, e);
        }
    }

    /** {@code POST /_matrix/media/v3/upload}: the content URI. */
    public String upload(User user, byte[] bytes, String contentType, String filename) {
        return raw("POST", "/_matrix/media/v3/upload" + (filename == null ? "" : "?filename=" + encode(filename)),
                user.accessToken(), contentType, bytes).expect(200).json().string("content_uri");
    }

    /** {@code GET /_matrix/client/v1/media/download/…} of an {@code mxc://} URI, authenticated. */
    public Raw download(User user, String mxc) {
        return raw("GET", "/_matrix/client/v1/media/download/" + mxc.substring("mxc://".length()), user.accessToken(),
                null, null);
    }

    public Response get(String path, String token) {
        return request("GET", path, token, null);
    }

    public Response post(String path, String token, Object body) {
        return request("POST", path, token, body);
    }

    public Response put(String path, String token, Object body) {
        return request("PUT", path, token, body);
    }

    public User register(String username) {
        Response r = post("/_matrix/client/v3/register", null, Map.of("username", username, "password", "pw-" + username,
                "auth", Map.of("type", "m.login.dummy"))).expect(200);
        return new User(r.string("user_id"), r.string("access_token"), r.string("device_id"));
    }

    public String createRoom(User user, Map<String, Object> body) {
        return post("/_matrix/client/v3/createRoom", user.accessToken(), body).expect(200).string("room_id");
    }

    public Response join(User user, String roomIdOrAlias, String... via) {
        StringBuilder q = new StringBuilder();
        for (String v : via) {
            q.append(q.length() == 0 ? "?" : "&").append("server_name=").append(encode(v));
        }
        return post("/_matrix/client/v3/join/" + encode(roomIdOrAlias) + q, user.accessToken(), Map.of());
    }

    public Response leave(User user, String roomId) {
        return post("/_matrix/client/v3/rooms/" + encode(roomId) + "/leave", user.accessToken(), Map.of());
    }

    public Response sendState(User user, String roomId, String type, String stateKey, Map<String, Object> content) {
        return put("/_matrix/client/v3/rooms/" + encode(roomId) + "/state/" + encode(type) + "/" + encode(stateKey),
                user.accessToken(), content);
    }

    public Response getState(User user, String roomId, String type, String stateKey) {
        return get("/_matrix/client/v3/rooms/" + encode(roomId) + "/state/" + encode(type) + "/" + encode(stateKey),
                user.accessToken());
    }

    /** {@code GET …/rooms/{roomId}/state}: the room's whole state as the user's server holds it, in {@code _list}. */
    public Response roomState(User user, String roomId) {
        return get("/_matrix/client/v3/rooms/" + encode(roomId) + "/state", user.accessToken());
    }

    private int txn;

    public Response sendMessage(User user, String roomId, String body) {
        return put("/_matrix/client/v3/rooms/" + encode(roomId) + "/send/m.room.message/t" + (++txn) + "-"
                + System.nanoTime(), user.accessToken(), Map.of("msgtype", "m.text", "body", body));
    }

    @SuppressWarnings("unchecked")
    public Map<String, Object> joinedMembers(User user, String roomId) {
        return (Map<String, Object>) get("/_matrix/client/v3/rooms/" + encode(roomId) + "/joined_members",
                user.accessToken()).expect(200).body().get("joined");
    }

    public static Map<String, Object> restrictedJoinRules(String... allowedRooms) {
        return Map.of("join_rule", "restricted", "allow", List.of(allowedRooms).stream()
                .map(r -> (Object) Map.of("type", "m.room_membership", "room_id", r)).toList());
    }
}
