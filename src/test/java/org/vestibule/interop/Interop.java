package org.vestibule.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.Eventually.eventually;
import static org.vestibule.support.Eventually.until;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntFunction;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.vestibule.event.Json;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;
import org.vestibule.support.TestNames;

/** What the interop scenarios do on either server, through its client API as a user would. */
final class Interop {

    /** All room versions, as both servers support them. */
    static final List<String> ROOM_VERSIONS = List.of("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12");

    private Interop() {}

    /**
     * Vestibule servers with the settings of a test network beside Synapse: each issues its
     * certificate at start from the test CA that issued Synapse's ({@code vestibule.tls.issuer-*}, as
     * under Complement) and trusts that CA, so each side checks the other's as on a real network (a
     * Synapse started without its control script gets none checked); no rate limits (Synapse runs
     * without them too).
     */
    static TestHomeservers vestibule(int count, IntFunction<String[]> extraArgs) {
        return vestibule(count, index -> "localhost", extraArgs);
    }

    /** {@link #vestibule(int, IntFunction)} with each server's host ({@code localhost} or {@code 127.0.0.1}). */
    static TestHomeservers vestibule(int count, IntFunction<String> hosts, IntFunction<String[]> extraArgs) {
        Optional<List<Path>> authority = Synapse.get().certificateAuthority();
        return TestHomeservers.start(count, hosts, index -> {
            List<String> args = new ArrayList<>(List.of("--vestibule.rate-limits.enabled=false"));
            authority.ifPresentOrElse(files -> args.addAll(List.of(
                    "--vestibule.tls.issuer-certificate=" + files.get(0),
                    "--vestibule.tls.issuer-key=" + files.get(1),
                    "--vestibule.federation.tls.trusted-ca=" + files.get(0))),
                    () -> args.add("--vestibule.federation.tls.verify=false"));
            args.addAll(List.of(extraArgs.apply(index)));
            return args.toArray(new String[0]);
        });
    }

    /** A user on one server with the client that reaches it, and where this user's /sync got to. */
    static final class Member {

        private final MatrixClient client;
        private final User user;
        private final String server;
        private final Map<String, String> syncedRooms = new HashMap<>();
        private String since;

        Member(MatrixClient client, User user, String server) {
            this.client = client;
            this.user = user;
            this.server = server;
        }

        MatrixClient client() {
            return client;
        }

        User user() {
            return user;
        }

        String server() {
            return server;
        }

        String id() {
            return user.userId();
        }

        String createRoom(Map<String, Object> body) {
            return client.createRoom(user, body);
        }

        Response join(String roomIdOrAlias, String... via) {
            return client.join(user, roomIdOrAlias, via);
        }

        void joins(String roomId, String... via) {
            Response r = join(roomId, via);
            assertThat(r.status()).as("%s joining %s via %s: %s", id(), roomId, List.of(via), r.raw()).isEqualTo(200);
        }

        Response leave(String roomId) {
            return client.leave(user, roomId);
        }

        Response post(String path, Map<String, Object> body) {
            return client.post(path, user.accessToken(), body);
        }

        Response membershipAction(String roomId, String action, String target) {
            return post("/_matrix/client/v3/rooms/" + MatrixClient.encode(roomId) + "/" + action,
                    Map.of("user_id", target));
        }

        Response knock(String roomId, String... via) {
            StringBuilder q = new StringBuilder();
            for (String v : via) {
                q.append(q.length() == 0 ? "?" : "&").append("server_name=").append(MatrixClient.encode(v));
            }
            return post("/_matrix/client/v3/knock/" + MatrixClient.encode(roomId) + q, Map.of("reason", "let me in"));
        }

        String send(String roomId, String body) {
            return client.sendMessage(user, roomId, body).expect(200).string("event_id");
        }

        void setState(String roomId, String type, String stateKey, Map<String, Object> content) {
            client.sendState(user, roomId, type, stateKey, content).expect(200);
        }

        /** The bodies of the room's last 100 messages, oldest first, as this user's server shows them. */
        List<String> messages(String roomId) {
            Response r = client.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(roomId)
                    + "/messages?dir=b&limit=100", user.accessToken());
            if (r.status() != 200) {
                return List.of();
            }
            List<String> bodies = new ArrayList<>();
            for (Object o : Json.list(r.body(), "chunk")) {
                Map<?, ?> event = (Map<?, ?>) o;
                if ("m.room.message".equals(event.get("type")) && event.get("content") instanceof Map<?, ?> c
                        && c.get("body") instanceof String body) {
                    bodies.add(0, body);
                }
            }
            return bodies;
        }

        /** The content of a state event as this user's server shows it, or null. */
        Map<String, Object> state(String roomId, String type, String stateKey) {
            Response r = client.getState(user, roomId, type, stateKey);
            return r.status() == 200 ? r.body() : null;
        }

        String membershipOf(String roomId, String userId) {
            Map<String, Object> member = state(roomId, "m.room.member", userId);
            return member == null ? null : (String) member.get("membership");
        }

        void seesMessage(String roomId, String body) {
            eventually(id() + " seeing '" + body + "' in " + roomId,
                    () -> messages(roomId).contains(body) ? Boolean.TRUE : null);
        }

        void seesMembership(String roomId, String userId, String membership) {
            eventually(id() + " seeing " + userId + " with membership " + membership + " in " + roomId,
                    () -> membership.equals(membershipOf(roomId, userId)) ? Boolean.TRUE : null);
        }

        void seesState(String roomId, String type, String stateKey, String key, Object value) {
            eventually(id() + " seeing " + type + " " + key + "=" + value + " in " + roomId, () -> {
                Map<String, Object> content = state(roomId, type, stateKey);
                return content != null && value.equals(content.get(key)) ? Boolean.TRUE : null;
            });
        }

        /**
         * Which section of /sync ("join", "invite", "leave", "knock") last listed the room, by
         * incremental syncs from this user's first (Synapse caches a repeated initial sync).
         */
        String syncSection(String roomId) {
            Response r = client.get("/_matrix/client/v3/sync?timeout=0" + (since == null ? "" : "&since="
                    + MatrixClient.encode(since)), user.accessToken()).expect(200);
            since = r.string("next_batch");
            Map<String, Object> rooms = Json.object(r.body(), "rooms");
            for (String section : List.of("join", "invite", "leave", "knock")) {
                for (String id : Json.object(rooms, section).keySet()) {
                    syncedRooms.put(id, section);
                }
            }
            return syncedRooms.get(roomId);
        }

        void seesInSync(String roomId, String section) {
            eventually(id() + "'s /sync listing " + roomId + " under " + section,
                    () -> section.equals(syncSection(roomId)) ? Boolean.TRUE : null);
        }

        void seesInvite(String roomId) {
            seesInSync(roomId, "invite");
        }

        Map<String, Object> joinedMembers(String roomId) {
            Response r = client.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(roomId) + "/joined_members",
                    user.accessToken());
            return r.status() == 200 ? Json.object(r.body(), "joined") : Map.of();
        }
    }

    static Member vestibuleUser(TestHomeservers.Homeserver server, String name) {
        MatrixClient client = new MatrixClient(server.clientBaseUrl());
        return new Member(client, client.register(TestNames.unique(name)), server.serverName());
    }

    /** {@code count} new users of {@code server}, each named {@code name} and a unique number. */
    static List<Member> vestibuleUsers(TestHomeservers.Homeserver server, String name, int count) {
        List<Member> users = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            users.add(vestibuleUser(server, name));
        }
        return users;
    }

    static Member synapseUser(Synapse synapse, String name) {
        return new Member(synapse.client(), synapse.register(TestNames.unique(name)), synapse.serverName());
    }

    /**
     * Messages and state changes both ways between a room's resident user and a user who joined
     * it from the other server: each sees what the other sent.
     */
    static void exchange(String roomId, Member resident, Member joiner) {
        String tag = TestNames.unique("");
        String fromResident = "from " + resident.server() + " " + tag;
        resident.send(roomId, fromResident);
        joiner.seesMessage(roomId, fromResident);
        String fromJoiner = "from " + joiner.server() + " " + tag;
        joiner.send(roomId, fromJoiner);
        resident.seesMessage(roomId, fromJoiner);

        resident.setState(roomId, "m.room.topic", "", Map.of("topic", "topic " + tag));
        joiner.seesState(roomId, "m.room.topic", "", "topic", "topic " + tag);
        joiner.setState(roomId, "m.room.member", joiner.id(), Map.of("membership", "join", "displayname", "name " + tag));
        resident.seesState(roomId, "m.room.member", joiner.id(), "displayname", "name " + tag);
    }

    /** {@code count} messages from {@code sender}, each body unique; returns the bodies. */
    static List<String> sendMessages(Member sender, String roomId, String label, int count) {
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String body = label + " " + i + " " + TestNames.unique("");
            sender.send(roomId, body);
            bodies.add(body);
        }
        return bodies;
    }

    /**
     * Waits until the Vestibule has stored each of these messages, read from its database and not
     * through a client: a client's /messages may backfill, which is a request to the other server
     * too. Until its database answers, they count as not stored.
     */
    static void untilStored(TestHomeservers.Homeserver server, String roomId, List<String> bodies) {
        JdbcTemplate jdbc = server.bean(JdbcTemplate.class);
        until("Vestibule storing " + bodies, () -> bodies.stream().allMatch(body -> {
            try {
                return jdbc.queryForObject("select count(*) from events where room_id = ? and type = 'm.room.message' "
                        + "and convert_from(json, 'UTF8') like ?", Long.class, roomId, "%" + body + "%") == 1;
            } catch (DataAccessException stillDown) {
                return false;
            }
        }));
    }

    static Map<String, Object> publicRoom(int version) {
        return Map.of("preset", "public_chat", "room_version", String.valueOf(version));
    }

    /** A public room whose history only members see, each event only by those joined at it. */
    static Map<String, Object> membersOnlyHistoryRoom(int version) {
        return Map.of("preset", "public_chat", "room_version", String.valueOf(version),
                "initial_state", List.of(Map.of("type", "m.room.history_visibility", "state_key", "",
                        "content", Map.of("history_visibility", "joined"))));
    }

    static Map<String, Object> roomWithJoinRules(int version, Map<String, Object> joinRules) {
        return Map.of("preset", "public_chat", "room_version", String.valueOf(version),
                "initial_state", List.of(Map.of("type", "m.room.join_rules", "state_key", "", "content", joinRules)));
    }

    static Map<String, Object> restricted(String joinRule, String allowedRoom, String via) {
        return Map.of("join_rule", joinRule, "allow",
                List.of(Map.of("type", "m.room_membership", "room_id", allowedRoom, "via", List.of(via))));
    }
}
