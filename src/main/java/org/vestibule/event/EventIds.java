package org.vestibule.event;

import java.util.Map;

/** Event IDs of every format (spec rooms v1, v3, v4 §Event IDs) and v12's derived room IDs. */
public final class EventIds {

    private EventIds() {}

    /**
     * The event's ID: its {@code event_id} in v1–v2, otherwise '$' and the base64 of its reference
     * hash (standard in v3, URL-safe from v4).
     */
    public static String compute(Map<String, ?> event, RoomVersion version) {
        return switch (version.eventFormat()) {
            case V1 -> Json.string(event, "event_id")
                    .orElseThrow(() -> new EventFormatException("event_id is required in room version " + version.id()));
            case V3 -> "$" + UnpaddedBase64.encode(EventHashes.referenceHash(event, version));
            case V4 -> "$" + UnpaddedBase64.encodeUrlSafe(EventHashes.referenceHash(event, version));
        };
    }

    /** Room version 12: the room ID is the create event's ID with '!' for '$'. */
    public static String roomIdFromCreateEvent(Map<String, ?> createEvent, RoomVersion version) {
        return "!" + UnpaddedBase64.encodeUrlSafe(EventHashes.referenceHash(createEvent, version));
    }
}
