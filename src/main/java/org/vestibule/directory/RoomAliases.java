package org.vestibule.directory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.vestibule.auth.PowerLevels;
import org.vestibule.auth.StateKey;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Identifiers;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.federation.outbound.FederationClient;
import org.vestibule.federation.outbound.FederationErrorResponseException;
import org.vestibule.federation.outbound.FederationException;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.room.EventGraph;
import org.vestibule.room.LocalEvents;
import org.vestibule.room.RoomMemberships;

/**
 * Room aliases (client-server §Room aliases, server-server §Querying for information): ours are
 * kept in {@code room_aliases}; other servers' are asked for with {@code query/directory}.
 */
@Service
public class RoomAliases {

    private static final Logger log = LoggerFactory.getLogger(RoomAliases.class);

    /** What an alias points at: the room and servers likely to be in it, the best first. */
    public record Resolved(String roomId, List<String> servers) {}

    private final JdbcTemplate jdbc;
    private final ServerKeyring keyring;
    private final EventGraph graph;
    private final RoomMemberships memberships;
    private final LocalEvents localEvents;
    private final FederationClient client;
    private final Clock clock;

    RoomAliases(JdbcTemplate jdbc, ServerKeyring keyring, EventGraph graph, RoomMemberships memberships,
                LocalEvents localEvents, FederationClient client, Clock clock) {
        this.jdbc = jdbc;
        this.keyring = keyring;
        this.graph = graph;
        this.memberships = memberships;
        this.localEvents = localEvents;
        this.client = client;
        this.clock = clock;
    }

    /** {@code #localpart:ourserver}, checked. */
    public String localAlias(String localpart) {
        String alias = "#" + localpart + ":" + keyring.serverName();
        if (localpart.isEmpty() || localpart.contains(":") || localpart.chars().anyMatch(Character::isWhitespace)
                || !Identifiers.isRoomAlias(alias)) {
            throw MatrixException.invalidParam("'" + localpart + "' cannot be the local part of a room alias");
        }
        return alias;
    }

    /** createRoom's room_alias_name: 400 M_ROOM_IN_USE when the alias is taken. */
    public void requireFree(String alias) {
        if (find(alias).isPresent()) {
            throw new MatrixException(400, Errcode.ROOM_IN_USE, "Room alias " + alias + " is already taken");
        }
    }

    /**
     * {@code PUT /directory/room/{alias}}: the alias must be ours and free, the room known, and the
     * user in it (server admins need not be).
     */
    public void create(String userId, boolean admin, String alias, String roomId) {
        requireOurs(alias);
        if (!Identifiers.isRoomIdOfAnyVersion(roomId)) {
            throw MatrixException.invalidParam("'" + roomId + "' is not a room ID");
        }
        if (graph.roomVersion(roomId).isEmpty()) {
            throw MatrixException.notFound("Room " + roomId + " is unknown to this server");
        }
        if (!admin && !"join".equals(memberships.membershipOf(roomId, userId).orElse(null))) {
            throw MatrixException.forbidden("You must be in " + roomId + " to give it an alias");
        }
        insert(alias, roomId, userId, new MatrixException(409, Errcode.UNKNOWN, "Room alias " + alias + " already exists"));
    }

    /** Stores an alias for a room this server just created (createRoom's room_alias_name). */
    public void createForNewRoom(String alias, String roomId, String creator) {
        insert(alias, roomId, creator, new MatrixException(400, Errcode.ROOM_IN_USE, "Room alias " + alias
                + " was taken while the room was being created"));
    }

    private void insert(String alias, String roomId, String creator, MatrixException taken) {
        try {
            jdbc.update("insert into room_aliases (alias, room_id, creator, created_ts) values (?, ?, ?, ?)", alias,
                    roomId, creator, clock.millis());
        } catch (DuplicateKeyException e) {
            throw taken;
        }
    }

    /**
     * {@code DELETE /directory/room/{alias}}: by its creator, a server admin, or someone who may
     * set the room's m.room.canonical_alias (as Synapse).
     */
    public void delete(String userId, boolean admin, String alias) {
        requireOurs(alias);
        Stored stored = find(alias).orElseThrow(() -> MatrixException.notFound("Room alias " + alias + " not found"));
        if (!admin && !userId.equals(stored.creator()) && !maySetCanonicalAlias(userId, stored.roomId())) {
            throw MatrixException.forbidden("Only the alias's creator, a server admin or a user who may set "
                    + "m.room.canonical_alias in " + stored.roomId() + " may delete " + alias);
        }
        if (jdbc.update("delete from room_aliases where alias = ?", alias) == 0) {
            throw MatrixException.notFound("Room alias " + alias + " not found");
        }
    }

    /**
     * {@code GET /rooms/{roomId}/aliases}: our aliases of a room, for its members; 403 for anyone
     * else, whether or not the room exists.
     */
    public List<String> aliasesOf(String userId, String roomId) {
        if (!"join".equals(memberships.membershipOf(roomId, userId).orElse(null))) {
            throw MatrixException.forbidden("You are not a member of " + roomId);
        }
        return jdbc.queryForList("select alias from room_aliases where room_id = ? order by alias", String.class, roomId);
    }

    /**
     * Resolves any alias: ours from the table, others with {@code query/directory} on the alias's
     * server. 404 M_NOT_FOUND when there is no such alias; 502 when its server cannot be asked.
     */
    public Resolved resolve(String alias) {
        if (!Identifiers.isRoomAlias(alias)) {
            throw MatrixException.invalidParam("'" + alias + "' is not a room alias");
        }
        String server = Identifiers.serverOf(alias).orElseThrow();
        if (keyring.isOurs(server)) {
            return resolveLocal(alias).orElseThrow(() -> MatrixException.notFound("Room alias " + alias + " not found"));
        }
        Map<String, Object> answer;
        try {
            answer = client.get(server, "/_matrix/federation/v1/query/directory?room_alias="
                    + FederationClient.pathSegment(alias)).object();
        } catch (FederationErrorResponseException e) {
            if (e.status() == 404) {
                throw MatrixException.notFound("Room alias " + alias + " not found (" + server + " says: "
                        + (e.error() == null ? e.errcode() : e.error()) + ")");
            }
            throw new MatrixException(502, Errcode.UNKNOWN, "Could not resolve " + alias + ": " + e.getMessage());
        } catch (FederationException e) {
            throw new MatrixException(502, Errcode.UNKNOWN, "Could not resolve " + alias + ": " + e.getMessage());
        }
        String roomId = Json.string(answer, "room_id").orElse(null);
        if (roomId == null || !Identifiers.isRoomIdOfAnyVersion(roomId)) {
            throw new MatrixException(502, Errcode.UNKNOWN, server + " answered the query for " + alias
                    + " without a valid room_id");
        }
        Set<String> servers = new LinkedHashSet<>();
        for (Object o : Json.list(answer, "servers")) {
            if (o instanceof String s && Identifiers.isServerName(s)) {
                servers.add(s);
            }
        }
        servers.addAll(memberships.joinedServers(roomId));
        return new Resolved(roomId, ourFirst(servers));
    }

    /** An alias of ours, with the servers in its room (ours first); empty when unknown. */
    public Optional<Resolved> resolveLocal(String alias) {
        return find(alias).map(stored -> {
            Set<String> servers = new LinkedHashSet<>(memberships.joinedServers(stored.roomId()));
            if (servers.isEmpty()) {
                Identifiers.serverOf(stored.roomId()).ifPresent(servers::add);
            }
            return new Resolved(stored.roomId(), ourFirst(servers));
        });
    }

    private List<String> ourFirst(Set<String> servers) {
        List<String> out = new ArrayList<>();
        if (servers.contains(keyring.serverName())) {
            out.add(keyring.serverName());
        }
        for (String s : servers) {
            if (!keyring.isOurs(s)) {
                out.add(s);
            }
        }
        return out;
    }

    private record Stored(String roomId, String creator) {}

    private Optional<Stored> find(String alias) {
        return jdbc.query("select room_id, creator from room_aliases where alias = ?",
                (rs, i) -> new Stored(rs.getString(1), rs.getString(2)), alias).stream().findFirst();
    }

    private void requireOurs(String alias) {
        if (!Identifiers.isRoomAlias(alias)) {
            throw MatrixException.invalidParam("'" + alias + "' is not a room alias");
        }
        String server = Identifiers.serverOf(alias).orElseThrow();
        if (!keyring.isOurs(server)) {
            throw MatrixException.invalidParam("Room alias " + alias + " belongs to " + server
                    + "; this server only manages aliases ending in :" + keyring.serverName());
        }
    }

    /** Whether a joined user may send the room's m.room.canonical_alias: Synapse's test for a room moderator. */
    boolean maySetCanonicalAlias(String userId, String roomId) {
        RoomVersion version = graph.roomVersion(roomId).orElse(null);
        if (version == null || !"join".equals(memberships.membershipOf(roomId, userId).orElse(null))) {
            return false;
        }
        try {
            Map<StateKey, Pdu> events = graph.stateEvents(localEvents.snapshot(roomId).state(),
                    List.of(StateKey.CREATE, StateKey.POWER_LEVELS));
            PowerLevels levels = PowerLevels.fromState(version, events);
            return levels.userLevel(userId) >= levels.eventLevel("m.room.canonical_alias", true);
        } catch (RuntimeException e) {
            log.info("Could not check {}'s power in {}: {}", userId, roomId, e.toString());
            return false;
        }
    }
}
