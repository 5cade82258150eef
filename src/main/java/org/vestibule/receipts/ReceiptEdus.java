package org.vestibule.receipts;

import java.util.Map;
import org.springframework.stereotype.Component;
import org.vestibule.federation.EduReceiver;

/** Inbound {@code m.receipt} EDUs (spec server-server §Receipts). */
@Component
class ReceiptEdus implements EduReceiver {

    private final Receipts receipts;

    ReceiptEdus(Receipts receipts) {
        this.receipts = receipts;
    }

    @Override
    public String eduType() {
        return "m.receipt";
    }

    @Override
    public void receive(String origin, Map<String, Object> content) {
        receipts.receive(origin, content);
    }
}
