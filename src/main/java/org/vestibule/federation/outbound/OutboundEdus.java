package org.vestibule.federation.outbound;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.JdbcTemplate;
import org.vestibule.event.CanonicalJson;
import org.vestibule.event.StrictJsonParser;

/**
 * The queued EDUs of each destination, in two tables of one shape: reliable ones (receipts) in a
 * logged table, best-effort ones (typing, presence) in an UNLOGGED one (migration V35).
 */
final class OutboundEdus {

    private static final String RELIABLE = "federation_outbound_edus";
    private static final String BEST_EFFORT = "federation_outbound_ephemeral_edus";

    /** A queued EDU as read for a transaction: its row is identified by destination, key and version. */
    record Queued(boolean reliable, String key, long version, String type, Map<String, Object> content) {

        Map<String, Object> json() {
            return Map.of("edu_type", type, "content", content);
        }
    }

    private final JdbcTemplate jdbc;

    OutboundEdus(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    void queue(Collection<String> destinations, OutboundEdu edu, long now) {
        byte[] content = CanonicalJson.encode(edu.content());
        Long expires = edu.ttl() == null ? null : now + edu.ttl().toMillis();
        List<Object[]> rows = new ArrayList<>();
        for (String d : destinations) {
            rows.add(new Object[] {d, edu.key(), edu.type(), content, expires});
        }
        jdbc.batchUpdate("insert into " + table(edu.reliable()) + " (destination, edu_key, edu_type, content, expires_ts) "
                + "values (?, ?, ?, ?, ?) on conflict (destination, edu_key) do update set edu_type = excluded.edu_type, "
                + "content = excluded.content, version = excluded.version, expires_ts = excluded.expires_ts", rows);
    }

    /** Up to {@code limit} EDUs for the destination, oldest first, stale ones dropped first. */
    List<Queued> next(String destination, int limit, long now) {
        List<Queued> out = new ArrayList<>();
        for (boolean reliable : new boolean[] {true, false}) {
            String table = table(reliable);
            jdbc.update("delete from " + table + " where destination = ? and expires_ts < ?", destination, now);
            out.addAll(jdbc.query("select edu_key, version, edu_type, content from " + table + " where destination = ? "
                    + "order by version limit " + limit, (rs, i) -> new Queued(reliable, rs.getString(1), rs.getLong(2),
                    rs.getString(3), StrictJsonParser.parseObject(rs.getBytes(4), StrictJsonParser.Limits.REQUEST)),
                    destination));
        }
        out.sort(Comparator.comparingLong(Queued::version));
        return out.size() > limit ? new ArrayList<>(out.subList(0, limit)) : out;
    }

    /** Deletes what the destination acknowledged; a replacement queued meanwhile has another version and stays. */
    void delivered(String destination, List<Queued> sent) {
        for (boolean reliable : new boolean[] {true, false}) {
            List<Object[]> rows = sent.stream().filter(q -> q.reliable() == reliable)
                    .map(q -> new Object[] {destination, q.key(), q.version()}).toList();
            if (!rows.isEmpty()) {
                jdbc.batchUpdate("delete from " + table(reliable) + " where destination = ? and edu_key = ? and version = ?",
                        rows);
            }
        }
    }

    /** Destinations with queued EDUs (to resume after a restart). */
    List<String> destinations() {
        return jdbc.queryForList("select destination from " + RELIABLE + " union select destination from " + BEST_EFFORT,
                String.class);
    }

    long count() {
        Long n = jdbc.queryForObject("select (select count(*) from " + RELIABLE + ") + (select count(*) from "
                + BEST_EFFORT + ")", Long.class);
        return n == null ? 0 : n;
    }

    private static String table(boolean reliable) {
        return reliable ? RELIABLE : BEST_EFFORT;
    }
}
