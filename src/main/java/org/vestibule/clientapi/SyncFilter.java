package org.vestibule.clientapi;

import java.util.List;
import java.util.Map;
import org.vestibule.error.MatrixException;

/**
 * What a /sync {@code filter} (spec client-server §Filtering) changes here: the room timeline's
 * {@code limit}; {@code presence}, {@code account_data}, {@code room.ephemeral} and
 * {@code room.account_data} by their types, senders and limit; which rooms appear
 * ({@code room.rooms}, {@code room.not_rooms}). The rest is accepted and ignored; the timeline's
 * types and senders are not applied.
 *
 * @param rooms    rooms to include, null for all
 * @param notRooms rooms to leave out; they win over {@code rooms}
 */
record SyncFilter(int timelineLimit, RoomEventFilter presence, RoomEventFilter accountData,
                  RoomEventFilter ephemeral, RoomEventFilter roomAccountData, List<String> rooms,
                  List<String> notRooms) {

    static final SyncFilter NONE = new SyncFilter(SyncService.DEFAULT_TIMELINE_LIMIT, RoomEventFilter.ALL,
            RoomEventFilter.ALL, RoomEventFilter.ALL, RoomEventFilter.ALL, null, List.of());

    static SyncFilter of(Map<String, Object> json) {
        Map<String, Object> room = object(json.get("room"), "room");
        Integer timelineLimit = RoomEventFilter.of(room.get("timeline"), "filter's room.timeline").limit();
        int limit = timelineLimit == null ? SyncService.DEFAULT_TIMELINE_LIMIT
                : Math.min(timelineLimit, SyncService.MAX_TIMELINE_LIMIT);
        List<String> notRooms = RoomEventFilter.strings(room, "not_rooms", "filter's room");
        return new SyncFilter(limit,
                RoomEventFilter.of(json.get("presence"), "filter's presence"),
                RoomEventFilter.of(json.get("account_data"), "filter's account_data"),
                RoomEventFilter.of(room.get("ephemeral"), "filter's room.ephemeral"),
                RoomEventFilter.of(room.get("account_data"), "filter's room.account_data"),
                RoomEventFilter.strings(room, "rooms", "filter's room"),
                notRooms == null ? List.of() : notRooms);
    }

    /** Whether a room's section is in the answer. */
    boolean includesRoom(String roomId) {
        return (rooms == null || rooms.contains(roomId)) && !notRooms.contains(roomId);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object value, String where) {
        if (value == null) {
            return Map.of();
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw MatrixException.invalidParam("The filter's " + where + " must be a JSON object");
        }
        return (Map<String, Object>) map;
    }
}
