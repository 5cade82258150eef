package org.vestibule.federation.outbound;

import java.util.Map;
import org.springframework.stereotype.Component;

/** Sends queued transactions with the signed federation client. */
@Component
class HttpTransactionSender implements TransactionSender {

    private final FederationClient client;

    HttpTransactionSender(FederationClient client) {
        this.client = client;
    }

    @Override
    public void send(String destination, String txnId, Map<String, Object> transaction) throws FederationException {
        client.put(destination, "/_matrix/federation/v1/send/" + FederationClient.pathSegment(txnId), transaction);
    }
}
