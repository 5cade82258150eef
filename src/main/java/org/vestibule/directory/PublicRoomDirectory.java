package org.vestibule.directory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.vestibule.accounts.ClientUser;
import org.vestibule.auth.StateKey;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Identifiers;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.federation.outbound.FederationClient;
import org.vestibule.federation.outbound.FederationErrorResponseException;
import org.vestibule.federation.outbound.FederationException;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.room.EventGraph;
import org.vestibule.room.LocalEvents;
import org.vestibule.room.RoomSnapshot;

/**
 * The published room directory (client-server §Listing rooms, server-server §Public room
 * directory): which rooms this server lists ({@code rooms.is_public}), each summed up from its
 * current state, in pages ordered by joined members (most first) then room ID; and other servers'
 * directories, asked for over federation.
 */
@Service
public class PublicRoomDirectory {

    /** Most rooms one page holds, whatever the limit asked for (0 or none included). */
    static final int MAX_PAGE = 500;

    private static final StateKey AVATAR = new StateKey("m.room.avatar", "");
    private static final StateKey GUEST_ACCESS = new StateKey("m.room.guest_access", "");
    private static final List<StateKey> SUMMARY_STATE = List.of(StateKey.CREATE, StateKey.NAME, StateKey.TOPIC,
            StateKey.CANONICAL_ALIAS, AVATAR, StateKey.JOIN_RULES, StateKey.HISTORY_VISIBILITY, GUEST_ACCESS);

    /** A listed room as a chunk entry, with what it is ordered by. */
    record Entry(String roomId, long joinedMembers, Map<String, Object> chunk) {}

    private static final Comparator<Entry> ORDER = Comparator.comparingLong(Entry::joinedMembers).reversed()
            .thenComparing(Entry::roomId);

    private final JdbcTemplate jdbc;
    private final LocalEvents localEvents;
    private final EventGraph graph;
    private final RoomAliases aliases;
    private final FederationClient federation;
    private final ServerKeyring keyring;

    PublicRoomDirectory(JdbcTemplate jdbc, LocalEvents localEvents, EventGraph graph, RoomAliases aliases,
                        FederationClient federation, ServerKeyring keyring) {
        this.jdbc = jdbc;
        this.localEvents = localEvents;
        this.graph = graph;
        this.aliases = aliases;
        this.federation = federation;
        this.keyring = keyring;
    }

    /** {@code GET /directory/list/room/{roomId}}: "public" or "private"; 404 for a room we do not know. */
    public String visibility(String roomId) {
        return publicFlag(roomId).map(p -> p ? "public" : "private")
                .orElseThrow(() -> MatrixException.notFound("Room " + roomId + " is unknown to this server"));
    }

    /**
     * {@code PUT /directory/list/room/{roomId}}: by a server admin, or a member who may send the
     * room's m.room.canonical_alias (Synapse's rule: a room moderator). The spec lets servers choose.
     */
    public void setVisibility(ClientUser user, String roomId, String visibility) {
        if (!"public".equals(visibility) && !"private".equals(visibility)) {
            throw MatrixException.invalidParam("visibility must be \"public\" or \"private\", not \"" + visibility + "\"");
        }
        if (publicFlag(roomId).isEmpty()) {
            throw MatrixException.notFound("Room " + roomId + " is unknown to this server");
        }
        if (!user.admin() && !aliases.maySetCanonicalAlias(user.userId(), roomId)) {
            throw MatrixException.forbidden("Only a server admin or a member of " + roomId + " with the power to send "
                    + "m.room.canonical_alias may change whether it is listed in the directory");
        }
        jdbc.update("update rooms set is_public = ? where room_id = ?", "public".equals(visibility), roomId);
    }

    /** Lists a room we just created (createRoom with {@code visibility: public}). */
    public void publish(String roomId) {
        jdbc.update("update rooms set is_public = true where room_id = ?", roomId);
    }

    /** A page of our directory. */
    public Map<String, Object> localRooms(PublicRoomsQuery query) {
        List<Entry> entries = query.thirdPartyInstanceId() != null ? List.of() : listed().stream()
                .filter(e -> matches(e, query)).sorted(ORDER).toList();
        int from = 0;
        int to;
        int size = query.limit() == null || query.limit() == 0 ? MAX_PAGE : Math.min(query.limit(), MAX_PAGE);
        if (query.since() == null) {
            to = Math.min(size, entries.size());
        } else {
            Token token = Token.parse(query.since());
            int split = split(entries, token);
            if (token.forward()) {
                from = split;
                to = Math.min(from + size, entries.size());
            } else {
                to = split;
                from = Math.max(0, to - size);
            }
        }
        List<Entry> page = entries.subList(from, to);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("chunk", page.stream().map(Entry::chunk).toList());
        if (to < entries.size() && !page.isEmpty()) {
            body.put("next_batch", Token.after(page.get(page.size() - 1)));
        }
        if (from > 0 && !page.isEmpty()) {
            body.put("prev_batch", Token.before(page.get(0)));
        }
        body.put("total_room_count_estimate", (long) entries.size());
        return body;
    }

    /**
     * Another server's directory, asked for with {@code GET /_matrix/federation/v1/publicRooms}, or
     * POST when there is a filter (as Synapse does). 502 when that server cannot or will not answer.
     */
    public Map<String, Object> remoteRooms(String server, PublicRoomsQuery query) {
        if (!Identifiers.isServerName(server)) {
            throw MatrixException.invalidParam("'" + server + "' is not a server name");
        }
        if (keyring.isOurs(server)) {
            return localRooms(query);
        }
        Map<String, Object> answer;
        try {
            if (query.filtered()) {
                answer = federation.post(server, "/_matrix/federation/v1/publicRooms", query.toJson()).object();
            } else {
                StringBuilder path = new StringBuilder("/_matrix/federation/v1/publicRooms");
                char sep = '?';
                if (query.limit() != null) {
                    path.append(sep).append("limit=").append(query.limit());
                    sep = '&';
                }
                if (query.since() != null) {
                    path.append(sep).append("since=").append(FederationClient.pathSegment(query.since()));
                    sep = '&';
                }
                if (query.thirdPartyInstanceId() != null) {
                    path.append(sep).append("third_party_instance_id=")
                            .append(FederationClient.pathSegment(query.thirdPartyInstanceId()));
                }
                answer = federation.get(server, path.toString()).object();
            }
        } catch (FederationErrorResponseException e) {
            throw new MatrixException(502, Errcode.UNKNOWN, server + " did not give its room directory: it answered "
                    + e.status() + (e.errcode() == null ? "" : " " + e.errcode())
                    + (e.error() == null ? "" : " (" + e.error() + ")"));
        } catch (FederationException e) {
            throw new MatrixException(502, Errcode.UNKNOWN, "Could not get the room directory of " + server + ": "
                    + e.getMessage());
        }
        return remoteAnswer(server, answer);
    }

    /** The parts of another server's answer the spec defines, checked enough that a client can rely on them. */
    private static Map<String, Object> remoteAnswer(String server, Map<String, Object> answer) {
        if (!(answer.get("chunk") instanceof List<?> chunk)) {
            throw new MatrixException(502, Errcode.UNKNOWN, server + " answered publicRooms without a chunk");
        }
        List<Object> rooms = new ArrayList<>();
        for (Object o : chunk) {
            if (o instanceof Map<?, ?> room && room.get("room_id") instanceof String id
                    && Identifiers.isRoomIdOfAnyVersion(id)) {
                rooms.add(room);
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("chunk", rooms);
        for (String key : List.of("next_batch", "prev_batch")) {
            Json.string(answer, key).ifPresent(v -> body.put(key, v));
        }
        Json.integer(answer, "total_room_count_estimate").ifPresent(v -> body.put("total_room_count_estimate", v));
        return body;
    }

    private Optional<Boolean> publicFlag(String roomId) {
        return jdbc.queryForList("select is_public from rooms where room_id = ?", Boolean.class, roomId).stream()
                .findFirst();
    }

    /** Every listed room with members, summed up. */
    private List<Entry> listed() {
        List<Object[]> rows = jdbc.query("select r.room_id, (select count(*) from room_memberships m "
                        + "where m.room_id = r.room_id and m.membership = 'join') from rooms r where r.is_public",
                (rs, n) -> new Object[] {rs.getString(1), rs.getLong(2)});
        List<Entry> entries = new ArrayList<>();
        for (Object[] row : rows) {
            String roomId = (String) row[0];
            long joined = (Long) row[1];
            if (joined == 0) {
                continue;
            }
            localEvents.findSnapshot(roomId).ifPresent(s -> entries.add(new Entry(roomId, joined, chunk(s, joined))));
        }
        return entries;
    }

    private Map<String, Object> chunk(RoomSnapshot snapshot, long joined) {
        Map<StateKey, Pdu> state = graph.stateEvents(snapshot.state(), SUMMARY_STATE);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("room_id", snapshot.roomId());
        content(state, StateKey.NAME, "name").ifPresent(v -> out.put("name", v));
        topic(state.get(StateKey.TOPIC)).ifPresent(v -> out.put("topic", v));
        content(state, StateKey.CANONICAL_ALIAS, "alias").filter(Identifiers::isRoomAlias)
                .ifPresent(v -> out.put("canonical_alias", v));
        out.put("num_joined_members", joined);
        out.put("world_readable", "world_readable".equals(content(state, StateKey.HISTORY_VISIBILITY,
                "history_visibility").orElse(null)));
        out.put("guest_can_join", "can_join".equals(content(state, GUEST_ACCESS, "guest_access").orElse(null)));
        content(state, AVATAR, "url").ifPresent(v -> out.put("avatar_url", v));
        out.put("join_rule", content(state, StateKey.JOIN_RULES, "join_rule").orElse("public"));
        content(state, StateKey.CREATE, "type").ifPresent(v -> out.put("room_type", v));
        return out;
    }

    private static Optional<String> content(Map<StateKey, Pdu> state, StateKey key, String field) {
        Pdu event = state.get(key);
        return event == null ? Optional.empty() : event.contentString(field).filter(v -> !v.isEmpty());
    }

    /** The plain-text topic: {@code topic}, else the text/plain part of {@code m.topic} (spec v1.15 m.room.topic). */
    private static Optional<String> topic(Pdu event) {
        if (event == null) {
            return Optional.empty();
        }
        Optional<String> plain = event.contentString("topic").filter(v -> !v.isEmpty());
        if (plain.isPresent() || !(event.content().get("m.topic") instanceof Map<?, ?> structured)
                || !(structured.get("m.text") instanceof List<?> parts)) {
            return plain;
        }
        for (Object part : parts) {
            if (part instanceof Map<?, ?> p && p.get("body") instanceof String body
                    && (p.get("mimetype") == null || "text/plain".equals(p.get("mimetype")))) {
                return Optional.of(body);
            }
        }
        return Optional.empty();
    }

    private static boolean matches(Entry entry, PublicRoomsQuery query) {
        Map<String, Object> chunk = entry.chunk();
        if (query.roomTypes() != null && !query.roomTypes().contains((String) chunk.get("room_type"))) {
            return false;
        }
        if (query.searchTerm() == null) {
            return true;
        }
        String term = query.searchTerm().toLowerCase(Locale.ROOT);
        if (entry.roomId().equals(query.searchTerm())) {
            return true;
        }
        for (String field : List.of("name", "topic", "canonical_alias")) {
            if (chunk.get(field) instanceof String value && value.toLowerCase(Locale.ROOT).contains(term)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Where the token's room falls in the order: the index of the first entry after it (forward)
     * or of the first entry not before it (backward), so neither page repeats the boundary room.
     */
    private static int split(List<Entry> entries, Token token) {
        int i = 0;
        while (i < entries.size() && (token.forward() ? compare(entries.get(i), token) <= 0
                : compare(entries.get(i), token) < 0)) {
            i++;
        }
        return i;
    }

    private static int compare(Entry e, Token t) {
        int c = Long.compare(t.joinedMembers(), e.joinedMembers());
        return c != 0 ? c : e.roomId().compareTo(t.roomId());
    }

    /**
     * A page boundary: the room a page ended (forward, "n…") or began (backward, "p…") with, and
     * its member count then, so the next page starts where this one stopped even as rooms come and go.
     */
    record Token(boolean forward, long joinedMembers, String roomId) {

        static String after(Entry e) {
            return "n" + encode(e);
        }

        static String before(Entry e) {
            return "p" + encode(e);
        }

        private static String encode(Entry e) {
            return Base64.getUrlEncoder().withoutPadding().encodeToString((e.joinedMembers() + "|" + e.roomId())
                    .getBytes(StandardCharsets.UTF_8));
        }

        static Token parse(String token) {
            try {
                if (token.length() < 2 || (token.charAt(0) != 'n' && token.charAt(0) != 'p')) {
                    throw new IllegalArgumentException();
                }
                String raw = new String(Base64.getUrlDecoder().decode(token.substring(1)), StandardCharsets.UTF_8);
                int bar = raw.indexOf('|');
                return new Token(token.charAt(0) == 'n', Long.parseLong(raw.substring(0, bar)), raw.substring(bar + 1));
            } catch (RuntimeException e) {
                throw MatrixException.invalidParam("'" + token + "' is not a since token this server gave out");
            }
        }
    }
}
