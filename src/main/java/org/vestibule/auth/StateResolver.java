package org.vestibule.auth;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.vestibule.event.RoomVersion;

/** TEMPORARY STUB until the auth branch lands. */
public final class StateResolver {
    private StateResolver() {}

    public static Map<StateKey, String> resolve(RoomVersion version, List<Map<StateKey, String>> stateSets,
                                                EventLookup events) {
        Map<StateKey, String> out = new HashMap<>();
        stateSets.forEach(out::putAll);
        return out;
    }
}
