package org.vestibule.room;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;
import org.vestibule.auth.StateKey;

/**
 * State groups in PostgreSQL: each group is a delta on a previous one, with a full snapshot once
 * the chain grows long relative to the state's size, so storage grows with what changed.
 */
@Repository
public class StateGroups {

    private static final int MIN_CHAIN = 100;
    private static final int CACHE_GROUPS = 2_000;

    private final JdbcTemplate jdbc;
    private final Map<Long, Group> cache = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Group> eldest) {
            return size() > CACHE_GROUPS;
        }
    };

    private record Group(RoomState state, int chainDepth) {}

    StateGroups(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * A group's row: a delta on its previous group, or a whole snapshot when the chain is long. Its
     * types and keys are as stored ({@link DbText}).
     */
    record Row(boolean delta, int depth, int size, String[] types, String[] keys, String[] ids) {}

    private static Row row(RoomState state, Integer prevDepth, RoomState prevState) {
        boolean snapshot = prevDepth == null || prevDepth + 1 > Math.max(MIN_CHAIN, state.size() / 8);
        Map<StateKey, String> entries = snapshot ? state.toMap() : state.diffFrom(prevState);
        int n = entries.size();
        String[] types = new String[n];
        String[] keys = new String[n];
        String[] ids = new String[n];
        int i = 0;
        for (Map.Entry<StateKey, String> e : entries.entrySet()) {
            types[i] = DbText.encode(e.getKey().type());
            keys[i] = DbText.encode(e.getKey().stateKey());
            ids[i++] = e.getValue();
        }
        return new Row(!snapshot, snapshot ? 0 : prevDepth + 1, state.size(), types, keys, ids);
    }

    /** Binds a row's depth, size and entries from parameter {@code i}; returns the next index. */
    private static int bind(PreparedStatement ps, Row row, int i) throws SQLException {
        ps.setInt(i++, row.depth());
        ps.setInt(i++, row.size());
        ps.setArray(i++, ps.getConnection().createArrayOf("text", row.types()));
        ps.setArray(i++, ps.getConnection().createArrayOf("text", row.keys()));
        ps.setArray(i++, ps.getConnection().createArrayOf("text", row.ids()));
        return i;
    }

    /** Where a state is, or is to be, in state_groups. */
    sealed interface Ref permits Stored, Planned {}

    /** A group already in the database. */
    record Stored(long id) implements Ref {}

    /**
     * A group the next statement inserts, named {@code cte} in it: a delta on {@code prev} when the
     * chain is short enough. Written by {@link #store(List)} or inside a caller's statement.
     */
    record Planned(String cte, String roomId, RoomState state, Ref prev, Row row) implements Ref {}

    /**
     * Plans a group for a state after {@code prev} (null for none, whose state is
     * {@code prevState}); a group planned on another planned one is its statement's second (g2).
     */
    Planned plan(String roomId, RoomState state, Ref prev, RoomState prevState) {
        Integer prevDepth = prev instanceof Planned p ? Integer.valueOf(p.row().depth())
                : prev instanceof Stored s ? chainDepth(s.id()) : null;
        return new Planned(prev instanceof Planned ? "g2" : "g1", roomId, state, prev,
                row(state, prevDepth, prevState));
    }

    /** The CTEs inserting a planned group and its entries, each followed by a comma. */
    static String insertCtes(Planned p) {
        String prev = !p.row().delta() ? "null" : idOf(p.prev());
        return p.cte() + " as (insert into state_groups (room_id, prev_group, chain_depth, state_size) values (?, "
                + prev + ", ?, ?) returning id),\n"
                + p.cte() + "e as (insert into state_group_entries (state_group, type, state_key, event_id) select "
                + p.cte() + ".id, u.t, u.k, u.v from " + p.cte() + ", unnest(?::text[], ?::text[], ?::text[]) as u(t, k, v)),\n";
    }

    /** Binds what {@link #insertCtes} rendered from parameter {@code i}; returns the next index. */
    static int bindInsert(PreparedStatement ps, Planned p, int i) throws SQLException {
        ps.setString(i++, p.roomId());
        if (p.row().delta()) {
            i = bindId(ps, p.prev(), i);
        }
        return bind(ps, p.row(), i);
    }

    /** A group's ID in SQL: a parameter for a stored group, the inserting CTE's ID for a planned one. */
    static String idOf(Ref ref) {
        return ref instanceof Planned p ? "(select id from " + p.cte() + ")" : "?";
    }

    /** Binds what {@link #idOf} rendered (nothing for a planned group); returns the next index. */
    static int bindId(PreparedStatement ps, Ref ref, int i) throws SQLException {
        if (ref instanceof Stored s) {
            ps.setLong(i++, s.id());
        }
        return i;
    }

    /** Takes note of a planned group once its statement has inserted it as {@code id}. */
    Stored written(Planned p, long id) {
        synchronized (cache) {
            cache.put(id, new Group(p.state(), p.row().depth()));
        }
        return new Stored(id);
    }

    /**
     * Stores a state, as a delta on {@code prevGroup} (whose state is {@code prevState}) when the
     * chain is short enough, and returns the new group's ID.
     */
    long store(String roomId, RoomState state, Long prevGroup, RoomState prevState) {
        return store(List.of(plan(roomId, state, prevGroup == null ? null : new Stored(prevGroup), prevState))).get(0);
    }

    /** Inserts planned groups (each on a stored group or an earlier one of the list) in one round trip. */
    List<Long> store(List<Planned> groups) {
        StringBuilder sql = new StringBuilder("with ");
        groups.forEach(p -> sql.append(insertCtes(p)));
        sql.setLength(sql.length() - 2);
        sql.append("\nselect ").append(String.join(", ", groups.stream().map(StateGroups::idOf).toList()));
        List<Long> ids = jdbc.execute((ConnectionCallback<List<Long>>) c -> {
            try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                int i = 1;
                for (Planned p : groups) {
                    i = bindInsert(ps, p, i);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    List<Long> out = new ArrayList<>();
                    for (int k = 1; k <= groups.size(); k++) {
                        out.add(rs.getLong(k));
                    }
                    return out;
                }
            }
        });
        for (int k = 0; k < groups.size(); k++) {
            written(groups.get(k), ids.get(k));
        }
        return ids;
    }

    /** The state a group stands for. */
    public RoomState load(long groupId) {
        synchronized (cache) {
            Group g = cache.get(groupId);
            if (g != null) {
                return g.state();
            }
        }
        List<Object[]> rows = jdbc.query("""
                with recursive chain(id, prev_group, lvl) as (
                    select id, prev_group, 0 from state_groups where id = ?
                    union all
                    select g.id, g.prev_group, c.lvl + 1 from state_groups g join chain c on g.id = c.prev_group
                )
                select c.lvl, e.type, e.state_key, e.event_id
                from chain c join state_group_entries e on e.state_group = c.id
                order by c.lvl desc""",
                (rs, n) -> new Object[] {rs.getInt(1), DbText.decode(rs.getString(2)), DbText.decode(rs.getString(3)),
                        rs.getString(4)}, groupId);
        HashMap<StateKey, String> state = new HashMap<>();
        int maxLevel = 0;
        for (Object[] r : rows) {
            maxLevel = Math.max(maxLevel, (Integer) r[0]);
            StateKey key = new StateKey((String) r[1], (String) r[2]);
            if (r[3] == null) {
                state.remove(key);
            } else {
                state.put(key, (String) r[3]);
            }
        }
        RoomState loaded = RoomState.of(state);
        synchronized (cache) {
            cache.put(groupId, new Group(loaded, maxLevel));
        }
        return loaded;
    }

    /**
     * A few slots of several groups' states, without loading them whole (history visibility needs
     * two slots of each state an event page touches, in rooms of any size): per group, the slots
     * that hold an event.
     */
    public Map<Long, Map<StateKey, String>> lookup(Collection<Long> groupIds, Collection<StateKey> keys) {
        Map<Long, Map<StateKey, String>> out = new HashMap<>();
        List<Long> missing = new ArrayList<>();
        synchronized (cache) {
            for (Long id : new LinkedHashSet<>(groupIds)) {
                Group g = cache.get(id);
                if (g == null) {
                    missing.add(id);
                    continue;
                }
                Map<StateKey, String> slots = new HashMap<>();
                for (StateKey k : keys) {
                    String v = g.state().get(k);
                    if (v != null) {
                        slots.put(k, v);
                    }
                }
                out.put(id, slots);
            }
        }
        if (missing.isEmpty() || keys.isEmpty()) {
            missing.forEach(id -> out.put(id, new HashMap<>()));
            return out;
        }
        String[] types = keys.stream().map(k -> DbText.encode(k.type())).toArray(String[]::new);
        String[] stateKeys = keys.stream().map(k -> DbText.encode(k.stateKey())).toArray(String[]::new);
        missing.forEach(id -> out.put(id, new HashMap<>()));
        // Each group's chain of deltas, nearest first: the first entry found for a slot is its value.
        jdbc.query(c -> {
            PreparedStatement ps = c.prepareStatement("""
                    with recursive chain(start, id, prev_group, lvl) as (
                        select id, id, prev_group, 0 from state_groups where id = any(?)
                        union all
                        select c.start, g.id, g.prev_group, c.lvl + 1 from chain c join state_groups g on g.id = c.prev_group
                    )
                    select distinct on (c.start, e.type, e.state_key) c.start, e.type, e.state_key, e.event_id
                    from chain c join state_group_entries e on e.state_group = c.id
                    where (e.type, e.state_key) in (select * from unnest(?::text[], ?::text[]))
                    order by c.start, e.type, e.state_key, c.lvl""");
            ps.setArray(1, c.createArrayOf("bigint", missing.toArray()));
            ps.setArray(2, c.createArrayOf("text", types));
            ps.setArray(3, c.createArrayOf("text", stateKeys));
            return ps;
        }, rs -> {
            if (rs.getString(4) != null) {
                out.get(rs.getLong(1)).put(new StateKey(DbText.decode(rs.getString(2)), DbText.decode(rs.getString(3))),
                        rs.getString(4));
            }
        });
        return out;
    }

    private Integer chainDepth(long groupId) {
        synchronized (cache) {
            Group g = cache.get(groupId);
            if (g != null) {
                return g.chainDepth();
            }
        }
        List<Integer> depth = jdbc.queryForList("select chain_depth from state_groups where id = ?", Integer.class, groupId);
        return depth.isEmpty() ? null : depth.get(0);
    }

    /** Rows stored in state_group_entries, for measuring storage per event. */
    long entryCount(String roomId) {
        Long n = jdbc.queryForObject("select count(*) from state_group_entries e join state_groups g on g.id = e.state_group "
                + "where g.room_id = ?", Long.class, roomId);
        return n == null ? 0 : n;
    }
}
