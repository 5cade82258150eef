package org.vestibule.room;

import java.util.Collection;
import java.util.Set;
import org.vestibule.event.Pdu;

/**
 * Hands an event we accepted to the other servers in its room. Called inside the transaction that
 * stored the event, so an implementation that queues durably never loses one.
 */
public interface EventRelay {

    /**
     * Sends the event to every server with a joined member after it (and, for a member event, to
     * the target's server), except ours and {@code except}.
     *
     * @param joinedServers the servers with joined members once the event is in the room
     */
    void relay(Pdu event, Collection<String> joinedServers, Set<String> except);
}
