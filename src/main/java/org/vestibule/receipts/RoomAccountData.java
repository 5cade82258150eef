package org.vestibule.receipts;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;
import org.vestibule.event.CanonicalJson;
import org.vestibule.event.StrictJsonParser;

/**
 * A user's per-room account data (spec client-server §Client Config), table
 * {@code room_account_data} of migration V35. Kept minimal here: only {@code m.fully_read} is
 * written, by /read_markers; an account-data feature may take the table over.
 */
@Repository
public class RoomAccountData {

    private final JdbcTemplate jdbc;

    RoomAccountData(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** The content, locking the row for the caller's transaction. */
    Optional<Map<String, Object>> lock(String userId, String roomId, String type) {
        return jdbc.query("select content from room_account_data where user_id = ? and room_id = ? and type = ? for update",
                (rs, i) -> StrictJsonParser.parseObject(rs.getBytes(1), StrictJsonParser.Limits.REQUEST), userId, roomId,
                type).stream().findFirst();
    }

    /** Sets the content; the trigger gives it a stream position and NOTIFYs the user. */
    void put(String userId, String roomId, String type, Map<String, Object> content) {
        jdbc.update("insert into room_account_data (user_id, room_id, type, content, stream_ordering) values (?, ?, ?, ?, 0) "
                + "on conflict (user_id, room_id, type) do update set content = excluded.content", userId, roomId, type,
                CanonicalJson.encode(content));
    }

    /**
     * /sync's {@code rooms.join.*.account_data} events ({@code type}, {@code content}) of the
     * user's rooms, each with what changed in (after, upTo]; 0 for all of it.
     */
    public Map<String, List<Map<String, Object>>> events(String userId, Map<String, Long> after, long upTo) {
        Map<String, List<Map<String, Object>>> out = new TreeMap<>();
        Map<Long, List<String>> byPosition = new HashMap<>();
        after.forEach((room, position) -> byPosition.computeIfAbsent(position, p -> new ArrayList<>()).add(room));
        byPosition.forEach((position, rooms) -> {
            List<Object> args = new ArrayList<>(List.of(userId, position, upTo));
            args.addAll(rooms);
            jdbc.query("select room_id, type, content from room_account_data where user_id = ? and stream_ordering > ? "
                    + "and stream_ordering <= ? and room_id in (" + String.join(", ", Collections.nCopies(rooms.size(), "?"))
                    + ") order by room_id, type", rs -> {
                        Map<String, Object> event = new LinkedHashMap<>();
                        event.put("type", rs.getString(2));
                        event.put("content", StrictJsonParser.parseObject(rs.getBytes(3), StrictJsonParser.Limits.REQUEST));
                        out.computeIfAbsent(rs.getString(1), r -> new ArrayList<>()).add(event);
                    }, args.toArray());
        });
        return out;
    }
}
