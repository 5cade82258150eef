package org.vestibule.room;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.stereotype.Component;
import org.vestibule.event.CanonicalJson;
import org.vestibule.event.Identifiers;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.event.RoomVersions;
import org.vestibule.event.StrictJsonParser;

/**
 * Invites and knocks of our users in rooms this server is not in: the membership event (outside
 * the room's graph, which we do not have), the stripped state to show the user, and the servers
 * to go through to join the room or to leave it. Synapse calls these out-of-band memberships.
 * Once one ends without us in the room, its row holds the leave that ended it.
 */
@Component
public class OutOfBandMemberships {

    /**
     * One user's out-of-band membership of a room.
     *
     * @param strippedState {type, state_key, content, sender} events describing the room
     * @param servers       servers likely in the room, the most useful first
     */
    public record Entry(String roomId, String userId, String membership, String eventId, String sender,
                        RoomVersion roomVersion, Pdu event, List<Map<String, Object>> strippedState,
                        List<String> servers, long updatedTs) {

        /** The servers to reach the room through: ours and the sender's first, then the room ID's. */
        public List<String> candidates() {
            LinkedHashSet<String> out = new LinkedHashSet<>(servers);
            Identifiers.serverOf(sender).ifPresent(out::add);
            Identifiers.serverOf(roomId).ifPresent(out::add);
            return new ArrayList<>(out);
        }
    }

    private static final StrictJsonParser.Limits LIMITS = new StrictJsonParser.Limits(Integer.MAX_VALUE, 128);

    private final JdbcTemplate jdbc;
    private final Clock clock;

    OutOfBandMemberships(JdbcTemplate jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** Records (or replaces) a user's out-of-band membership. */
    public void put(String userId, Pdu event, List<Map<String, Object>> strippedState, Collection<String> servers) {
        byte[] eventJson = CanonicalJson.encode(event.json());
        jdbc.update("insert into out_of_band_memberships (room_id, user_id, membership, event_id, sender, room_version, "
                + "event_json, stripped_state, servers, updated_ts) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                + "on conflict (room_id, user_id) do update set membership = excluded.membership, "
                + "event_id = excluded.event_id, sender = excluded.sender, room_version = excluded.room_version, "
                + "event_json = excluded.event_json, stripped_state = excluded.stripped_state, "
                + "servers = excluded.servers, updated_ts = excluded.updated_ts",
                event.roomId(), userId, event.membership().orElseThrow(), event.eventId(), event.sender(),
                event.roomVersion().id(), eventJson, CanonicalJson.encode(strippedState),
                CanonicalJson.encode(List.copyOf(new LinkedHashSet<>(servers))), clock.millis());
    }

    public Optional<Entry> find(String roomId, String userId) {
        return jdbc.query("select * from out_of_band_memberships where room_id = ? and user_id = ?", MAPPER, roomId,
                userId).stream().findFirst();
    }

    /** A user's invite or knock in the room that has not ended. */
    public Optional<Entry> pending(String roomId, String userId) {
        return find(roomId, userId).filter(m -> "invite".equals(m.membership()) || "knock".equals(m.membership()));
    }

    /**
     * Ends an invite or knock with the leave that ended it (rejected, rescinded, or refused), which
     * /sync shows the user; the row stays, as a leave, until we are in the room or invited again.
     */
    public void end(Pdu leave) {
        jdbc.update("update out_of_band_memberships set membership = 'leave', event_id = ?, sender = ?, event_json = ?, "
                + "updated_ts = ? where room_id = ? and user_id = ?", leave.eventId(), leave.sender(),
                CanonicalJson.encode(leave.json()), clock.millis(), leave.roomId(), leave.stateKey());
    }

    public void remove(String roomId, String userId) {
        jdbc.update("delete from out_of_band_memberships where room_id = ? and user_id = ?", roomId, userId);
    }

    private static final RowMapper<Entry> MAPPER = (rs, i) -> {
        RoomVersion version = RoomVersions.byId(rs.getString("room_version")).orElseThrow();
        Map<String, Object> json = StrictJsonParser.parseObject(rs.getBytes("event_json"), LIMITS);
        Pdu event = Pdu.fromJson(json, version);
        Object state = StrictJsonParser.parse(rs.getBytes("stripped_state"), LIMITS);
        List<Map<String, Object>> stripped = new ArrayList<>();
        for (Object o : (List<?>) state) {
            stripped.add(Json.object(Map.of("e", o), "e"));
        }
        List<String> servers = new ArrayList<>();
        for (Object o : (List<?>) StrictJsonParser.parse(rs.getBytes("servers"), LIMITS)) {
            servers.add((String) o);
        }
        return new Entry(rs.getString("room_id"), rs.getString("user_id"), rs.getString("membership"),
                rs.getString("event_id"), rs.getString("sender"), version, event, List.copyOf(stripped),
                List.copyOf(servers), rs.getLong("updated_ts"));
    };
}
