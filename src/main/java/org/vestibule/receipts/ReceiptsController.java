package org.vestibule.receipts;

import java.util.Map;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.accounts.ClientUser;
import org.vestibule.error.JsonBody;

/**
 * {@code POST /rooms/{roomId}/receipt/{receiptType}/{eventId}} and {@code POST
 * /rooms/{roomId}/read_markers} (spec client-server §Receipts, §Fully read markers).
 */
@RestController
class ReceiptsController {

    private final Receipts receipts;

    ReceiptsController(Receipts receipts) {
        this.receipts = receipts;
    }

    @PostMapping("/_matrix/client/{v:v3|r0}/rooms/{roomId}/receipt/{receiptType}/{eventId}")
    Map<String, Object> receipt(ClientUser user, @PathVariable String roomId, @PathVariable String receiptType,
                                @PathVariable String eventId, @RequestBody(required = false) byte[] raw) {
        // Clients (matrix-nio among them) send no body at all for an unthreaded receipt: taken as {}.
        JsonBody body = JsonBody.parse(raw, JsonBody.SMALL);
        receipts.receipt(user, roomId, receiptType, eventId, body.map().get("thread_id"));
        return Map.of();
    }

    @PostMapping("/_matrix/client/{v:v3|r0}/rooms/{roomId}/read_markers")
    Map<String, Object> readMarkers(ClientUser user, @PathVariable String roomId,
                                    @RequestBody(required = false) byte[] raw) {
        JsonBody body = JsonBody.parse(raw, JsonBody.SMALL);
        receipts.readMarkers(user, roomId, body.string(Receipts.FULLY_READ), body.string(Receipts.READ),
                body.string(Receipts.READ_PRIVATE));
        return Map.of();
    }
}
