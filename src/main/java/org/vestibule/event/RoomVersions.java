package org.vestibule.event;

import static org.vestibule.event.RoomVersion.EventFormat;
import static org.vestibule.event.RoomVersion.RedactionRules;
import static org.vestibule.event.RoomVersion.StateResolution;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The stable room versions 1–12 (spec §Room versions). */
public final class RoomVersions {

    public static final RoomVersion V1 = new RoomVersion("1", EventFormat.V1, RedactionRules.V1, StateResolution.V1,
            false, false, true, true, false, false, false, false, false, false, false, false);
    public static final RoomVersion V2 = new RoomVersion("2", EventFormat.V1, RedactionRules.V1, StateResolution.V2,
            false, false, true, true, false, false, false, false, false, false, false, false);
    public static final RoomVersion V3 = new RoomVersion("3", EventFormat.V3, RedactionRules.V1, StateResolution.V2,
            false, false, true, false, false, false, false, false, false, false, false, false);
    public static final RoomVersion V4 = new RoomVersion("4", EventFormat.V4, RedactionRules.V1, StateResolution.V2,
            false, false, true, false, false, false, false, false, false, false, false, false);
    public static final RoomVersion V5 = new RoomVersion("5", EventFormat.V4, RedactionRules.V1, StateResolution.V2,
            true, false, true, false, false, false, false, false, false, false, false, false);
    public static final RoomVersion V6 = new RoomVersion("6", EventFormat.V4, RedactionRules.V6, StateResolution.V2,
            true, true, false, false, true, false, false, false, false, false, false, false);
    public static final RoomVersion V7 = new RoomVersion("7", EventFormat.V4, RedactionRules.V6, StateResolution.V2,
            true, true, false, false, true, true, false, false, false, false, false, false);
    public static final RoomVersion V8 = new RoomVersion("8", EventFormat.V4, RedactionRules.V8, StateResolution.V2,
            true, true, false, false, true, true, true, false, false, false, false, false);
    public static final RoomVersion V9 = new RoomVersion("9", EventFormat.V4, RedactionRules.V9, StateResolution.V2,
            true, true, false, false, true, true, true, false, false, false, false, false);
    public static final RoomVersion V10 = new RoomVersion("10", EventFormat.V4, RedactionRules.V9, StateResolution.V2,
            true, true, false, false, true, true, true, true, true, false, false, false);
    public static final RoomVersion V11 = new RoomVersion("11", EventFormat.V4, RedactionRules.V11, StateResolution.V2,
            true, true, false, false, true, true, true, true, true, true, true, false);
    public static final RoomVersion V12 = new RoomVersion("12", EventFormat.V4, RedactionRules.V11, StateResolution.V2_1,
            true, true, false, false, true, true, true, true, true, true, true, true);

    private static final Map<String, RoomVersion> BY_ID = new LinkedHashMap<>();

    static {
        for (RoomVersion v : List.of(V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12)) {
            BY_ID.put(v.id(), v);
        }
    }

    private RoomVersions() {}

    public static Optional<RoomVersion> byId(String id) {
        return Optional.ofNullable(id == null ? null : BY_ID.get(id));
    }

    /** Every version this server implements, oldest first. */
    public static List<RoomVersion> all() {
        return List.copyOf(BY_ID.values());
    }

    public static List<String> ids() {
        return List.copyOf(BY_ID.keySet());
    }
}
