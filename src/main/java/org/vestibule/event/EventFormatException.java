package org.vestibule.event;

/** A PDU that does not follow its room version's event format; the message names the field. */
public final class EventFormatException extends RuntimeException {

    public EventFormatException(String message) {
        super(message, null, false, false);
    }
}
