package org.vestibule.auth;

import java.util.HashMap;
import java.util.Map;
import org.vestibule.event.Pdu;

/** An {@link EventLookup} that asks its source at most once per event ID (for one resolution or walk). */
final class CachedLookup implements EventLookup {

    private final EventLookup source;
    private final Map<String, Pdu> events = new HashMap<>();
    private final Map<String, Boolean> rejected = new HashMap<>();

    CachedLookup(EventLookup source) {
        this.source = source;
    }

    static CachedLookup of(EventLookup source) {
        return source instanceof CachedLookup cached ? cached : new CachedLookup(source);
    }

    @Override
    public Pdu get(String eventId) {
        if (eventId == null) {
            return null;
        }
        Pdu pdu = events.get(eventId);
        if (pdu == null && !events.containsKey(eventId)) {
            pdu = source.get(eventId);
            events.put(eventId, pdu);
        }
        return pdu;
    }

    @Override
    public boolean isRejected(String eventId) {
        return rejected.computeIfAbsent(eventId, source::isRejected);
    }
}
