package org.vestibule.federation;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The EDUs of a transaction that a room's server ACL lets through (spec server-server §Server
 * Access Control Lists): a typing notification for a denied room is dropped; a receipt EDU loses
 * the rooms the origin is denied in (and is dropped when none is left). Other EDUs name no room.
 */
final class RoomEdus {

    private RoomEdus() {}

    static List<Map<String, Object>> allowed(List<Object> edus, Predicate<String> roomAllowed) {
        List<Map<String, Object>> out = new ArrayList<>(edus.size());
        for (Object o : edus) {
            if (!(o instanceof Map<?, ?> m)) {
                continue;
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> edu = (Map<String, Object>) m;
            Object type = edu.get("edu_type");
            Object content = edu.get("content");
            if ("m.typing".equals(type) && content instanceof Map<?, ?> c && c.get("room_id") instanceof String room
                    && !roomAllowed.test(room)) {
                continue;
            }
            if ("m.receipt".equals(type) && content instanceof Map<?, ?> receipts) {
                Map<String, Object> kept = new LinkedHashMap<>();
                receipts.forEach((room, r) -> {
                    if (room instanceof String roomId && roomAllowed.test(roomId)) {
                        kept.put(roomId, r);
                    }
                });
                if (kept.isEmpty() && !receipts.isEmpty()) {
                    continue;
                }
                if (kept.size() < receipts.size()) {
                    Map<String, Object> copy = new LinkedHashMap<>(edu);
                    copy.put("content", kept);
                    edu = copy;
                }
            }
            out.add(edu);
        }
        return out;
    }
}
