package org.vestibule.auth;

import java.util.List;
import java.util.Map;
import org.vestibule.event.Pdu;

/** TEMPORARY STUB until the auth branch lands: allows everything. */
public final class AuthRules {
    private AuthRules() {}

    public static AuthResult check(Pdu event, Map<StateKey, Pdu> state) {
        return AuthResult.ALLOWED;
    }

    public static AuthResult checkAuthEventsList(Pdu event, List<Pdu> authEvents) {
        return AuthResult.ALLOWED;
    }
}
