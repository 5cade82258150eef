package org.vestibule.clientapi;

import java.util.LinkedHashMap;
import java.util.Map;
import org.vestibule.event.Pdu;

/** The client-server event format (spec client-server §Room Events): what clients see of a PDU. */
public final class ClientEvents {

    private ClientEvents() {}

    public static Map<String, Object> format(Pdu pdu) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("content", pdu.content());
        e.put("event_id", pdu.eventId());
        e.put("origin_server_ts", pdu.originServerTs());
        e.put("room_id", pdu.roomId());
        e.put("sender", pdu.sender());
        if (pdu.isState()) {
            e.put("state_key", pdu.stateKey());
        }
        e.put("type", pdu.type());
        pdu.redacts().ifPresent(r -> e.put("redacts", r));
        e.put("unsigned", Map.of());
        return e;
    }
}
