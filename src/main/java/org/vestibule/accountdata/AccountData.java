package org.vestibule.accountdata;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;
import org.vestibule.error.Errcode;
import org.vestibule.error.JsonBody;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Identifiers;

/**
 * Users' account data, global and per room (spec client-server §Client Config), and room tags,
 * which are the room account data of type {@code m.tag} (§Room Tagging). {@code /sync} reads what
 * changed since its token.
 */
@Service
public class AccountData {

    /** What the server keeps itself: clients cannot set these (spec: 405 M_BAD_JSON). */
    static final Set<String> SERVER_MANAGED = Set.of("m.fully_read", "m.push_rules");
    /** The largest account data object we keep (Synapse has none; 64 KiB is far above what clients store). */
    static final int MAX_BYTES = 64 * 1024;
    static final int MAX_TYPE_BYTES = 255;
    static final String TAGS = "m.tag";

    /** One piece of account data: its type and content, in a room or global (room ID ""). */
    public record Entry(String roomId, String type, Map<String, Object> content) {

        /** As /sync lists it: {@code {"type": …, "content": …}}. */
        public Map<String, Object> event() {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("type", type);
            e.put("content", content);
            return e;
        }
    }

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final Map<String, ManagedAccountData> managed = new LinkedHashMap<>();

    AccountData(JdbcTemplate jdbc, TransactionTemplate tx, List<ManagedAccountData> managedTypes) {
        this.jdbc = jdbc;
        this.tx = tx;
        managedTypes.forEach(m -> managed.put(m.type(), m));
    }

    /** Sets account data a client sent: not for another user, not of a type the server manages. */
    public void put(String caller, String userId, String roomId, String type, Map<String, Object> content) {
        requireSelf(caller, userId, "set");
        requireType(type);
        if (SERVER_MANAGED.contains(type) || managed.containsKey(type)) {
            throw new MatrixException(405, Errcode.BAD_JSON, "Account data of type " + type
                    + " is managed by the server; use its own endpoint");
        }
        store(userId, room(roomId), type, content);
    }

    /** Sets account data the server manages (m.fully_read from read markers, m.push_rules). */
    public void putManaged(String userId, String roomId, String type, Map<String, Object> content) {
        store(userId, roomId == null ? "" : roomId, type, content);
    }

    public Map<String, Object> get(String caller, String userId, String roomId, String type) {
        requireSelf(caller, userId, "read");
        String room = room(roomId);
        ManagedAccountData rendered = room.isEmpty() ? managed.get(type) : null;
        if (rendered != null) {
            return rendered.render(userId, find(userId, "", type).orElse(Map.of()));
        }
        return find(userId, room, type).orElseThrow(() -> MatrixException.notFound("No account data of type "
                + type + (roomId == null ? "" : " in " + roomId) + " for " + userId));
    }

    /**
     * Changes one piece of account data in one transaction, concurrent changes taking turns: the
     * function gets what is stored (empty when nothing is) and returns what to store, or null to
     * leave it as it is.
     */
    public Map<String, Object> modify(String userId, String roomId, String type,
                                      UnaryOperator<Map<String, Object>> change) {
        String room = roomId == null ? "" : roomId;
        return tx.execute(status -> {
            jdbc.query("select pg_advisory_xact_lock(hashtext(?))", rs -> null, type + " " + userId + " " + room);
            Map<String, Object> stored = find(userId, room, type).orElse(Map.of());
            Map<String, Object> changed = change.apply(stored);
            if (changed == null) {
                return stored;
            }
            store(userId, room, type, changed);
            return changed;
        });
    }

    public Optional<Map<String, Object>> find(String userId, String roomId, String type) {
        return jdbc.queryForList("select content from account_data where user_id = ? and room_id = ? and type = ?",
                String.class, userId, roomId == null ? "" : roomId, type).stream().findFirst().map(JsonBody::readStored);
    }

    /** The room's tags: {@code {"tags": {…}}}. */
    public Map<String, Object> tags(String caller, String userId, String roomId) {
        requireSelf(caller, userId, "read the tags of");
        return Map.of("tags", currentTags(userId, room(roomId)));
    }

    /** Adds or replaces a tag (spec: {@code order} a number from 0 to 1, kept as given). */
    public void putTag(String caller, String userId, String roomId, String tag, Map<String, Object> body) {
        requireSelf(caller, userId, "tag rooms of");
        requireTag(tag);
        Object order = body.get("order");
        if (order != null && !(order instanceof Number)) {
            throw new MatrixException(400, Errcode.BAD_JSON, "'order' must be a number between 0 and 1");
        }
        modify(userId, room(roomId), TAGS, stored -> {
            Map<String, Object> tags = new LinkedHashMap<>(tagsOf(stored));
            tags.put(tag, body);
            return Map.of("tags", tags);
        });
    }

    public void deleteTag(String caller, String userId, String roomId, String tag) {
        requireSelf(caller, userId, "untag rooms of");
        requireTag(tag);
        modify(userId, room(roomId), TAGS, stored -> {
            Map<String, Object> tags = new LinkedHashMap<>(tagsOf(stored));
            tags.remove(tag);
            return Map.of("tags", tags);
        });
    }

    /** Global account data changed after {@code since} up to {@code upTo} (everything for an initial sync, since null). */
    public List<Entry> globalSince(String userId, Long since, long upTo) {
        List<Entry> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Entry e : since(userId, List.of(""), since, upTo)) {
            ManagedAccountData m = managed.get(e.type());
            out.add(m == null ? e : new Entry("", e.type(), m.render(userId, e.content())));
            seen.add(e.type());
        }
        if (since == null) {
            for (ManagedAccountData m : managed.values()) {
                if (!seen.contains(m.type()) && find(userId, "", m.type()).isEmpty()) {
                    out.add(new Entry("", m.type(), m.render(userId, Map.of())));
                }
            }
        }
        return out;
    }

    /** Room account data of these rooms changed after {@code since} up to {@code upTo}. */
    public List<Entry> roomsSince(String userId, Collection<String> roomIds, Long since, long upTo) {
        return roomIds.isEmpty() ? List.of() : since(userId, roomIds, since, upTo);
    }

    private List<Entry> since(String userId, Collection<String> roomIds, Long since, long upTo) {
        List<Object> args = new ArrayList<>(List.of(userId, roomIds.toArray(new String[0]), since == null ? -1L : since,
                upTo));
        return jdbc.query("select room_id, type, content from account_data where user_id = ? and room_id = any(?) "
                + "and stream_ordering > ? and stream_ordering <= ? order by stream_ordering", (rs, i) -> new Entry(
                rs.getString(1), rs.getString(2), JsonBody.readStored(rs.getString(3))), args.toArray());
    }

    private Map<String, Object> currentTags(String userId, String room) {
        return tagsOf(find(userId, room, TAGS).orElse(Map.of()));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> tagsOf(Map<String, Object> stored) {
        return stored.get("tags") instanceof Map<?, ?> t ? (Map<String, Object>) t : Map.of();
    }

    private void store(String userId, String roomId, String type, Map<String, Object> content) {
        String json = JsonBody.write(content);
        if (json.length() > MAX_BYTES) {
            throw new MatrixException(413, Errcode.TOO_LARGE, "Account data of " + json.length()
                    + " characters is over the limit of " + MAX_BYTES);
        }
        jdbc.update("insert into account_data (user_id, room_id, type, content) values (?, ?, ?, ?) "
                + "on conflict (user_id, room_id, type) do update set content = excluded.content", userId, roomId, type,
                json);
    }

    private static void requireSelf(String caller, String userId, String what) {
        if (!caller.equals(userId)) {
            throw MatrixException.forbidden("You cannot " + what + " the account data of another user (" + userId + ")");
        }
    }

    private static String room(String roomId) {
        if (roomId == null) {
            return "";
        }
        if (!Identifiers.isRoomIdOfAnyVersion(roomId)) {
            throw MatrixException.invalidParam("'" + roomId + "' is not a room ID");
        }
        return roomId;
    }

    private static void requireType(String type) {
        if (type.isEmpty() || type.getBytes(StandardCharsets.UTF_8).length > MAX_TYPE_BYTES) {
            throw MatrixException.invalidParam("An account data type is 1 to " + MAX_TYPE_BYTES + " bytes long");
        }
    }

    private static void requireTag(String tag) {
        if (tag.isEmpty() || tag.getBytes(StandardCharsets.UTF_8).length > MAX_TYPE_BYTES) {
            throw MatrixException.invalidParam("A tag is 1 to " + MAX_TYPE_BYTES + " bytes long");
        }
    }

}
