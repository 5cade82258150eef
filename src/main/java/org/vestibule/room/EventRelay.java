package org.vestibule.room;

import java.util.Set;
import org.vestibule.event.Pdu;

/**
 * Hands an event we accepted to the other servers in its room. Called inside the transaction that
 * stored the event, so an implementation that queues durably never loses one.
 */
public interface EventRelay {

    /**
     * Sends the event to every server with a joined member (and, for a member event, to the
     * target's server), except ours and {@code except}.
     */
    void relay(Pdu event, Set<String> except);
}
