package org.vestibule.room;

import java.util.Set;
import org.vestibule.event.Pdu;

/** What became of an event handed to {@link EventPersister}. */
public sealed interface PersistOutcome {

    /** The outcome in words, for error messages a person reads. */
    String describe();

    /** Stored in the graph; soft-failed events are stored but change neither current state nor extremities. */
    record Stored(Pdu event, boolean softFailed) implements PersistOutcome {
        @Override
        public String describe() {
            return "the event " + event.eventId() + (softFailed ? " was stored but soft-failed (the room's current "
                    + "state does not allow it)" : " was stored");
        }
    }

    /** Stored as rejected by the auth rules; never part of any state. */
    record Rejected(Pdu event, String rule, String reason) implements PersistOutcome {
        @Override
        public String describe() {
            return "the auth rules reject the " + event.type() + " event " + event.eventId() + " of " + event.sender()
                    + " (rule " + rule + "): " + reason;
        }
    }

    /** Nothing stored: one of our own events that the room does not allow where it would stand. */
    record Refused(Pdu event, String reason) implements PersistOutcome {
        @Override
        public String describe() {
            return "the " + event.type() + " event " + event.eventId() + " was not stored: " + reason;
        }
    }

    /** We already had it in the graph. */
    record Duplicate(Pdu event) implements PersistOutcome {
        @Override
        public String describe() {
            return "the event " + event.eventId() + " was stored already";
        }
    }

    /** Nothing stored: these auth events or prev events must be fetched first. */
    record MissingEvents(Set<String> missingAuthEvents, Set<String> missingPrevEvents) implements PersistOutcome {
        @Override
        public String describe() {
            StringBuilder out = new StringBuilder("the event names events we do not have:");
            if (!missingAuthEvents.isEmpty()) {
                out.append(" auth events ").append(String.join(", ", missingAuthEvents));
            }
            if (!missingPrevEvents.isEmpty()) {
                out.append(missingAuthEvents.isEmpty() ? "" : ";").append(" prev events ")
                        .append(String.join(", ", missingPrevEvents));
            }
            return out.toString();
        }
    }
}
