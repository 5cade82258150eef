package org.vestibule.clientapi;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;
import org.vestibule.accounts.ClientUser;
import org.vestibule.event.Pdu;
import org.vestibule.room.Redactions;

/**
 * Events as one user's client sees them (spec client-server §Room Events, §Redactions): the
 * client format with {@code unsigned.age}; the sending device's transaction ID; and for a redacted
 * event its redacted form with the redaction in {@code unsigned.redacted_because}.
 */
@Component
class ClientEventFormat {

    private final StreamReads reads;
    private final Redactions redactions;
    private final Clock clock;

    ClientEventFormat(StreamReads reads, Redactions redactions, Clock clock) {
        this.reads = reads;
        this.redactions = redactions;
        this.clock = clock;
    }

    List<Map<String, Object>> format(ClientUser user, Collection<Pdu> events) {
        List<String> ids = events.stream().map(Pdu::eventId).toList();
        List<String> own = events.stream().filter(p -> user.userId().equals(p.sender())).map(Pdu::eventId).toList();
        Map<String, String> txnIds = reads.transactionIds(user.userId(), user.deviceId(), own);
        Map<String, Pdu> redactedBy = redactions.redactionsOf(ids);
        long now = clock.millis();
        List<Map<String, Object>> out = new ArrayList<>(events.size());
        for (Pdu p : events) {
            Pdu redaction = redactedBy.get(p.eventId());
            Map<String, Object> e = ClientEvents.format(redaction == null ? p : p.redacted());
            Map<String, Object> unsigned = new LinkedHashMap<>();
            unsigned.put("age", Math.max(0, now - p.originServerTs()));
            String txnId = txnIds.get(p.eventId());
            if (txnId != null) {
                unsigned.put("transaction_id", txnId);
            }
            if (redaction != null) {
                Map<String, Object> because = ClientEvents.format(redaction);
                because.put("unsigned", Map.of("age", Math.max(0, now - redaction.originServerTs())));
                unsigned.put("redacted_because", because);
            }
            e.put("unsigned", unsigned);
            out.add(e);
        }
        return out;
    }

    Map<String, Object> format(ClientUser user, Pdu event) {
        return format(user, List.of(event)).get(0);
    }
}
