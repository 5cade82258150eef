package org.vestibule.auth;

import org.vestibule.event.Pdu;

/** Where state resolution finds events by ID (backed by the database, or a map in tests). */
@FunctionalInterface
public interface EventLookup {

    /** The event, or null when it is unknown. */
    Pdu get(String eventId);
}
