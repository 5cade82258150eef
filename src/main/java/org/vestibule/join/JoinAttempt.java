package org.vestibule.join;

/**
 * What one candidate server answered when we tried to join through it.
 *
 * @param server  the server tried
 * @param step    make_join or send_join
 * @param status  its HTTP status (200 for an answer we could not use), or 0 when there was no answer
 * @param errcode its errcode, or null
 * @param message its error message, or what went wrong on the way
 */
public record JoinAttempt(String server, String step, int status, String errcode, String message) {

    @Override
    public String toString() {
        if (status == 0 || status == 200) {
            // No answer, or an answer we could not use: what went wrong says it all.
            return server + " (" + step + "): " + message;
        }
        return server + " (" + step + "): " + status + (errcode == null ? "" : " " + errcode)
                + (message == null ? "" : " " + message);
    }
}
