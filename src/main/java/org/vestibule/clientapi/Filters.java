package org.vestibule.clientapi;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.vestibule.accounts.ClientUser;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.event.CanonicalJson;
import org.vestibule.event.MalformedJsonException;
import org.vestibule.event.StrictJsonParser;

/**
 * Filters (spec client-server §Filtering): stored as uploaded and handed back. Of what they
 * say, /sync honours {@code room.timeline.limit}; the rest is accepted and ignored.
 */
@Service
public class Filters {

    private static final StrictJsonParser.Limits LIMITS = new StrictJsonParser.Limits(64 * 1024, 32);

    private final JdbcTemplate jdbc;

    Filters(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** Stores a user's filter and returns its ID; one a sync could not use is refused now, not at each sync. */
    public String create(ClientUser user, String userId, Map<String, Object> filter) {
        requireOwn(user, userId);
        SyncFilter.of(filter);
        Long id = jdbc.queryForObject("insert into user_filters (user_id, filter_json) values (?, ?) returning filter_id",
                Long.class, userId, CanonicalJson.encode(filter));
        return String.valueOf(id);
    }

    /** A user's filter, or 404. */
    public Map<String, Object> get(ClientUser user, String userId, String filterId) {
        requireOwn(user, userId);
        return find(userId, filterId).orElseThrow(() -> MatrixException.notFound("No filter " + filterId));
    }

    /**
     * What a sync's {@code filter} parameter asks for: inline JSON (it starts with "{") or one of
     * the user's filter IDs (400 M_INVALID_PARAM if unknown, as Synapse).
     */
    SyncFilter syncFilter(ClientUser user, String filter) {
        if (filter == null || filter.isEmpty()) {
            return SyncFilter.NONE;
        }
        Map<String, Object> json;
        if (filter.startsWith("{")) {
            try {
                json = StrictJsonParser.parseObject(filter.getBytes(StandardCharsets.UTF_8), LIMITS);
            } catch (MalformedJsonException e) {
                throw new MatrixException(400, Errcode.NOT_JSON, "'filter' is not valid JSON: " + e.getMessage());
            }
        } else {
            json = find(user.userId(), filter).orElseThrow(() ->
                    MatrixException.invalidParam("No filter " + filter + " of " + user.userId()));
        }
        return SyncFilter.of(json);
    }

    private Optional<Map<String, Object>> find(String userId, String filterId) {
        if (filterId.isEmpty() || filterId.length() > 18 || !filterId.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return Optional.empty();
        }
        return jdbc.queryForList("select filter_json from user_filters where user_id = ? and filter_id = ?", byte[].class,
                userId, Long.parseLong(filterId)).stream().findFirst()
                .map(bytes -> StrictJsonParser.parseObject(bytes, LIMITS));
    }

    private static void requireOwn(ClientUser user, String userId) {
        if (!user.userId().equals(userId)) {
            throw MatrixException.forbidden("You can only use your own filters, not " + userId + "'s");
        }
    }
}
