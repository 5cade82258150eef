package org.vestibule.federation.outbound;

import java.util.Map;
import org.springframework.stereotype.Component;

/** TEMPORARY until the federation client lands: every send fails, so PDUs stay queued. */
@Component
class NoTransactionSender implements TransactionSender {
    @Override
    public void send(String destination, String txnId, Map<String, Object> transaction) throws Exception {
        throw new IllegalStateException("federation client not available yet");
    }
}
