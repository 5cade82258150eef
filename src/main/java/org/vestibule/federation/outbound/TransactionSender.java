package org.vestibule.federation.outbound;

import java.util.Map;

/** Delivers one federation transaction to a destination. */
public interface TransactionSender {

    /**
     * PUTs {@code /_matrix/federation/v1/send/{txnId}} and returns normally on 200; throws on any
     * other answer or a network failure, with a message worth keeping as the destination's last error.
     */
    void send(String destination, String txnId, Map<String, Object> transaction) throws Exception;
}
