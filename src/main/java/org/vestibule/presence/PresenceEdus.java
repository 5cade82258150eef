package org.vestibule.presence;

import java.util.Map;
import org.springframework.stereotype.Component;
import org.vestibule.federation.EduReceiver;

/** Inbound {@code m.presence} EDUs (spec server-server §Presence). */
@Component
class PresenceEdus implements EduReceiver {

    private final Presence presence;

    PresenceEdus(Presence presence) {
        this.presence = presence;
    }

    @Override
    public String eduType() {
        return "m.presence";
    }

    @Override
    public void receive(String origin, Map<String, Object> content) {
        presence.receive(origin, content);
    }
}
