package org.vestibule.event;

/** JSON that the strict parser refuses; the message says what was wrong and where. */
public final class MalformedJsonException extends RuntimeException {

    public MalformedJsonException(String message) {
        super(message, null, false, false);
    }
}
