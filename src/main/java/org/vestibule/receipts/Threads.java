package org.vestibule.receipts;

import java.util.Map;
import java.util.Optional;
import org.springframework.stereotype.Component;
import org.vestibule.event.Pdu;
import org.vestibule.room.EventGraph;

/**
 * Which thread an event is in (spec client-server §Threading, §Threaded read receipts): the root
 * its {@code m.thread} relation names, also through up to three other relations ("a maximum of 3
 * hops is recommended"); none for the main timeline, thread roots included.
 */
@Component
class Threads {

    static final String MAIN = "main";
    private static final int MAX_HOPS = 3;

    private final EventGraph graph;

    Threads(EventGraph graph) {
        this.graph = graph;
    }

    Optional<String> rootOf(Pdu event) {
        Pdu current = event;
        for (int hop = 0; hop < MAX_HOPS && current != null; hop++) {
            if (!(current.content().get("m.relates_to") instanceof Map<?, ?> relation)
                    || !(relation.get("event_id") instanceof String parent)) {
                return Optional.empty();
            }
            if ("m.thread".equals(relation.get("rel_type"))) {
                return Optional.of(parent);
            }
            String roomId = current.roomId();
            current = graph.event(parent).filter(p -> roomId.equals(p.roomId())).orElse(null);
        }
        return Optional.empty();
    }

    /** Whether a receipt for the event may name the thread: "main" for the main timeline, else the root or an event in its thread. */
    boolean isIn(Pdu event, String threadId) {
        Optional<String> root = rootOf(event);
        if (MAIN.equals(threadId)) {
            return root.isEmpty();
        }
        return threadId.equals(event.eventId()) || root.map(threadId::equals).orElse(false);
    }
}
