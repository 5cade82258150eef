package org.vestibule.auth;

/** The outcome of the authorization rules for one event. */
public sealed interface AuthResult {

    /** The event passes. */
    record Allowed() implements AuthResult {}

    /**
     * The event is refused.
     *
     * @param rule   the spec's rule that refused it, as its number and short name, e.g. "4.3.5 restricted join"
     * @param reason what in the event or state broke the rule, for logs and error messages
     */
    record Rejected(String rule, String reason) implements AuthResult {
        @Override
        public String toString() {
            return "rule " + rule + ": " + reason;
        }
    }

    AuthResult ALLOWED = new Allowed();

    default boolean allowed() {
        return this instanceof Allowed;
    }

    static AuthResult reject(String rule, String reason) {
        return new Rejected(rule, reason);
    }
}
