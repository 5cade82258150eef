package org.vestibule.typing;

import java.util.Map;
import org.springframework.stereotype.Component;
import org.vestibule.federation.EduReceiver;

/** Inbound {@code m.typing} EDUs (spec server-server §Typing Notifications). */
@Component
class TypingEdus implements EduReceiver {

    private final Typing typing;

    TypingEdus(Typing typing) {
        this.typing = typing;
    }

    @Override
    public String eduType() {
        return "m.typing";
    }

    @Override
    public void receive(String origin, Map<String, Object> content) {
        typing.receive(origin, content);
    }
}
