package org.vestibule.event;

/** JSON that the strict parser refuses; the message says what was wrong and where. */
public final class MalformedJsonException extends RuntimeException {

    private final boolean tooLarge;

    public MalformedJsonException(String message) {
        this(message, false);
    }

    /** @param tooLarge the JSON is well formed but over a size limit (413 M_TOO_LARGE, not M_NOT_JSON) */
    public MalformedJsonException(String message, boolean tooLarge) {
        super(message, null, false, false);
        this.tooLarge = tooLarge;
    }

    public boolean tooLarge() {
        return tooLarge;
    }
}
