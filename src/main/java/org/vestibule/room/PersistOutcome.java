package org.vestibule.room;

import java.util.Set;
import org.vestibule.event.Pdu;

/** What became of an event handed to {@link EventPersister}. */
public sealed interface PersistOutcome {

    /** Stored in the graph; soft-failed events are stored but change neither current state nor extremities. */
    record Stored(Pdu event, boolean softFailed) implements PersistOutcome {}

    /** Stored as rejected by the auth rules; never part of any state. */
    record Rejected(Pdu event, String rule, String reason) implements PersistOutcome {}

    /** We already had it in the graph. */
    record Duplicate(Pdu event) implements PersistOutcome {}

    /** Nothing stored: these auth events or prev events must be fetched first. */
    record MissingEvents(Set<String> missingAuthEvents, Set<String> missingPrevEvents) implements PersistOutcome {}
}
