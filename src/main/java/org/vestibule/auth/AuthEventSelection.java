package org.vestibule.auth;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.vestibule.event.RoomVersion;

/** TEMPORARY STUB until the auth branch lands. */
public final class AuthEventSelection {
    private AuthEventSelection() {}

    public static List<StateKey> select(RoomVersion version, String type, String stateKey, String sender,
                                        Map<String, Object> content) {
        List<StateKey> keys = new ArrayList<>();
        if ("m.room.create".equals(type)) {
            return keys;
        }
        if (!version.roomIdIsCreateEventHash()) {
            keys.add(StateKey.CREATE);
        }
        keys.add(StateKey.POWER_LEVELS);
        keys.add(StateKey.member(sender));
        if ("m.room.member".equals(type)) {
            if (!stateKey.equals(sender)) {
                keys.add(StateKey.member(stateKey));
            }
            Object m = content.get("membership");
            if ("join".equals(m) || "invite".equals(m) || "knock".equals(m)) {
                keys.add(StateKey.JOIN_RULES);
            }
            if ("join".equals(m) && version.restricted() && content.get("join_authorised_via_users_server") instanceof String a) {
                keys.add(StateKey.member(a));
            }
        }
        return keys;
    }
}
