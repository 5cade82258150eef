package org.vestibule.profile;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.vestibule.accounts.AccountService;
import org.vestibule.accounts.ClientUser;
import org.vestibule.accounts.LocalProfile;
import org.vestibule.event.Pdu;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.room.EventGraph;
import org.vestibule.room.RoomMemberships;

/**
 * {@code POST /user_directory/search} (spec client-server §User directory). Who is searched: every
 * local user (as Synapse with {@code search_all_users}), and the users of other servers that the
 * spec says must at least be: those who share a room with the searcher, and those joined to rooms
 * with a {@code public} join rule or {@code world_readable} history. Matching is on the user ID
 * and the displayname, case-insensitively, as a substring.
 */
@Service
public class UserDirectory {

    public static final int DEFAULT_LIMIT = 10;
    public static final int MAX_LIMIT = 50;
    /** Matches read per half (local, other servers') before ranking: bounds the work of one search. */
    static final int CANDIDATES = 500;

    /** One result: user ID, and the displayname and avatar when set. */
    public record Match(String userId, String displayName, String avatarUrl) {}

    /** The answer: the results, and whether there were more than the limit. */
    public record Results(List<Match> results, boolean limited) {}

    private final AccountService accounts;
    private final RoomMemberships memberships;
    private final EventGraph graph;
    private final JdbcTemplate jdbc;
    private final ServerKeyring keyring;

    UserDirectory(AccountService accounts, RoomMemberships memberships, EventGraph graph, JdbcTemplate jdbc,
                  ServerKeyring keyring) {
        this.accounts = accounts;
        this.memberships = memberships;
        this.graph = graph;
        this.jdbc = jdbc;
        this.keyring = keyring;
    }

    public Results search(ClientUser searcher, String term, int limit) {
        String needle = term.strip().toLowerCase(Locale.ROOT);
        if (needle.isEmpty()) {
            return new Results(List.of(), false);
        }
        List<Match> matches = new ArrayList<>();
        for (LocalProfile p : accounts.searchLocal(needle, CANDIDATES)) {
            matches.add(new Match(p.userId(), p.displayname(), p.avatarUrl()));
        }
        matches.addAll(otherServersUsers(searcher, needle));
        matches.sort(rank(needle));
        return new Results(List.copyOf(matches.subList(0, Math.min(limit, matches.size()))), matches.size() > limit);
    }

    /** Users of other servers in the rooms the searcher may see into, matched by their member events. */
    private List<Match> otherServersUsers(ClientUser searcher, String needle) {
        Set<String> rooms = new HashSet<>(memberships.roomsOf(searcher.userId(), "join"));
        rooms.addAll(openRooms());
        if (rooms.isEmpty()) {
            return List.of();
        }
        String pattern = "%" + needle.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%";
        // A coarse filter on the event's JSON text in the database, then the exact test on the parsed displayname.
        List<String[]> rows = jdbc.query("select distinct on (m.user_id) m.user_id, m.event_id from room_memberships m "
                        + "join events e on e.event_id = m.event_id where m.membership = 'join' and m.server_name <> ? "
                        + "and m.room_id = any(?) and (lower(m.user_id) like ? escape '!' "
                        + "or lower(convert_from(e.json, 'UTF8')) like ? escape '!') order by m.user_id limit ?",
                (rs, n) -> new String[] {rs.getString(1), rs.getString(2)}, keyring.serverName(),
                rooms.toArray(new String[0]), pattern, pattern, CANDIDATES);
        Map<String, Pdu> events = graph.events(rows.stream().map(r -> r[1]).toList());
        List<Match> out = new ArrayList<>();
        for (String[] row : rows) {
            Pdu member = events.get(row[1]);
            String displayname = member == null ? null : member.contentString("displayname").orElse(null);
            String avatar = member == null ? null : member.contentString("avatar_url").orElse(null);
            if (row[0].toLowerCase(Locale.ROOT).contains(needle)
                    || (displayname != null && displayname.toLowerCase(Locale.ROOT).contains(needle))) {
                out.add(new Match(row[0], displayname, avatar));
            }
        }
        return out;
    }

    /** Rooms with a public join rule or world-readable history: their members are visible to everyone. */
    private Set<String> openRooms() {
        List<String> ids = jdbc.queryForList("select event_id from current_state where state_key = '' and type in "
                + "('m.room.join_rules', 'm.room.history_visibility')", String.class);
        Set<String> open = new HashSet<>();
        for (Pdu e : graph.events(ids).values()) {
            if ("public".equals(e.content().get("join_rule")) || "world_readable".equals(e.content().get("history_visibility"))) {
                open.add(e.roomId());
            }
        }
        return open;
    }

    /** Names that start with the term first, then users with a displayname, then by user ID. */
    private static Comparator<Match> rank(String needle) {
        return Comparator.comparingInt((Match m) -> startsWith(m, needle) ? 0 : 1)
                .thenComparingInt(m -> m.displayName() == null ? 1 : 0)
                .thenComparing(Match::userId);
    }

    private static boolean startsWith(Match m, String needle) {
        String localpart = m.userId().substring(1).toLowerCase(Locale.ROOT);
        return localpart.startsWith(needle)
                || (m.displayName() != null && m.displayName().toLowerCase(Locale.ROOT).startsWith(needle));
    }

    static Map<String, Object> format(Match m) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("user_id", m.userId());
        if (m.displayName() != null) {
            out.put("display_name", m.displayName());
        }
        if (m.avatarUrl() != null) {
            out.put("avatar_url", m.avatarUrl());
        }
        return out;
    }
}
