package org.vestibule.directory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vestibule.error.JsonBody;
import org.vestibule.error.MatrixException;

/**
 * What a {@code publicRooms} request asks for (client-server and server-server §Published room
 * directory): a page size ({@code null} or 0: as many as we give at once), a {@code since} token,
 * and the filter. {@code include_all_networks} is ignored: we bridge no networks.
 *
 * @param roomTypes null when the request names none (every type); may hold null for "no type"
 * @param thirdPartyInstanceId a bridged network; we have none, so naming one lists nothing
 */
public record PublicRoomsQuery(Integer limit, String since, String searchTerm, List<String> roomTypes,
                               String thirdPartyInstanceId) {

    /** The longest search term we take, as Synapse bounds its full-text search input. */
    static final int MAX_SEARCH_TERM = 1000;

    public PublicRoomsQuery {
        if (limit != null && limit < 0) {
            throw MatrixException.invalidParam("limit must not be negative");
        }
        if (searchTerm != null && searchTerm.length() > MAX_SEARCH_TERM) {
            throw MatrixException.invalidParam("filter.generic_search_term may be at most " + MAX_SEARCH_TERM
                    + " characters long");
        }
    }

    /** From query parameters ({@code GET}). */
    public static PublicRoomsQuery of(Integer limit, String since, String thirdPartyInstanceId) {
        return new PublicRoomsQuery(limit, since, null, null, thirdPartyInstanceId);
    }

    /** From a {@code POST} body. */
    public static PublicRoomsQuery fromJson(JsonBody body) {
        Object limit = body.map().get("limit");
        if (limit != null && !(limit instanceof Long)) {
            throw MatrixException.badJson("'limit' must be an integer");
        }
        Map<String, Object> filter = body.object("filter");
        Object term = filter.get("generic_search_term");
        if (term != null && !(term instanceof String)) {
            throw MatrixException.badJson("filter.generic_search_term must be a string");
        }
        List<String> roomTypes = null;
        if (filter.get("room_types") != null) {
            if (!(filter.get("room_types") instanceof List<?> types)) {
                throw MatrixException.badJson("filter.room_types must be an array of strings and nulls");
            }
            roomTypes = new ArrayList<>();
            for (Object t : types) {
                if (t != null && !(t instanceof String)) {
                    throw MatrixException.badJson("filter.room_types must be an array of strings and nulls");
                }
                roomTypes.add((String) t);
            }
        }
        Long l = (Long) limit;
        if (l != null && (l < 0 || l > Integer.MAX_VALUE)) {
            throw MatrixException.invalidParam("limit must be between 0 and " + Integer.MAX_VALUE);
        }
        String searchTerm = (String) term;
        return new PublicRoomsQuery(l == null ? null : l.intValue(), body.string("since"),
                searchTerm == null || searchTerm.isBlank() ? null : searchTerm, roomTypes,
                body.string("third_party_instance_id"));
    }

    boolean filtered() {
        return searchTerm != null || roomTypes != null;
    }

    /** The body of a {@code POST /_matrix/federation/v1/publicRooms} asking the same. */
    Map<String, Object> toJson() {
        Map<String, Object> out = new LinkedHashMap<>();
        if (limit != null) {
            out.put("limit", (long) limit);
        }
        if (since != null) {
            out.put("since", since);
        }
        Map<String, Object> filter = new LinkedHashMap<>();
        if (searchTerm != null) {
            filter.put("generic_search_term", searchTerm);
        }
        if (roomTypes != null) {
            filter.put("room_types", new ArrayList<>(roomTypes));
        }
        if (!filter.isEmpty()) {
            out.put("filter", filter);
        }
        if (thirdPartyInstanceId != null) {
            out.put("third_party_instance_id", thirdPartyInstanceId);
        }
        return out;
    }
}
