package org.vestibule.federation.inbound;

import java.util.Map;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.error.MatrixException;
import org.vestibule.event.StrictJsonParser;
import org.vestibule.federation.IncomingTransactions;

/** {@code PUT /_matrix/federation/v1/send/{txnId}}. */
@RestController
class TransactionController {

    private final IncomingTransactions transactions;

    TransactionController(IncomingTransactions transactions) {
        this.transactions = transactions;
    }

    @PutMapping("/_matrix/federation/v1/send/{txnId}")
    Map<String, Object> send(Origin origin, @PathVariable String txnId, @RequestBody(required = false) byte[] body) {
        if (body == null || body.length == 0) {
            throw MatrixException.badJson("A transaction body is required");
        }
        return transactions.receive(origin.serverName(), txnId, StrictJsonParser.parseObject(body,
                StrictJsonParser.Limits.REQUEST));
    }
}
