package org.vestibule.auth;

import java.util.Map;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;

/** TEMPORARY STUB until the auth branch lands. */
public final class PowerLevels {
    private final Map<String, Object> content;
    private final String creator;

    private PowerLevels(Map<String, Object> content, String creator) {
        this.content = content;
        this.creator = creator;
    }

    public static PowerLevels fromState(RoomVersion version, Map<StateKey, Pdu> state) {
        Pdu pl = state.get(StateKey.POWER_LEVELS);
        Pdu create = state.get(StateKey.CREATE);
        return new PowerLevels(pl == null ? Map.of() : pl.content(), create == null ? null : create.sender());
    }

    public long userLevel(String userId) {
        Object users = content.get("users");
        if (users instanceof Map<?, ?> m && m.get(userId) instanceof Long l) {
            return l;
        }
        if (content.isEmpty() && userId.equals(creator)) {
            return 100;
        }
        return content.get("users_default") instanceof Long l ? l : 0;
    }

    public long invite() {
        return content.get("invite") instanceof Long l ? l : 0;
    }

    public boolean canInvite(String userId) {
        return userLevel(userId) >= invite();
    }
}
