package org.vestibule.auth;

import org.vestibule.event.Pdu;

/** Where state resolution finds events by ID (backed by the database, or a map in tests). */
@FunctionalInterface
public interface EventLookup {

    /** The event, or null when it is unknown. */
    Pdu get(String eventId);

    /**
     * Whether the event was rejected (spec server-server §Rejection). State resolution uses it for
     * the spec's rule that iterative auth checks only fall back to auth events "if the auth event is
     * not rejected". The default, for lookups that hold accepted events only, is false.
     */
    default boolean isRejected(String eventId) {
        return false;
    }
}
