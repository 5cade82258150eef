package org.vestibule.room;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Unsigned PDUs for tests that place events on forks themselves, as a remote server's would be. */
final class UnsignedEvents {

    private UnsignedEvents() {
    }

    static Map<String, Object> stateEvent(String roomId, String sender, String type, String stateKey,
                                          Map<String, Object> content, long depth, List<String> prevs,
                                          List<String> auth) {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("room_id", roomId);
        event.put("type", type);
        event.put("state_key", stateKey);
        event.put("sender", sender);
        event.put("content", content);
        event.put("origin_server_ts", System.currentTimeMillis());
        event.put("depth", depth);
        event.put("prev_events", prevs);
        event.put("auth_events", auth);
        return event;
    }
}
