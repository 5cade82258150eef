package org.vestibule.clientapi;

import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.accounts.ClientUser;
import org.vestibule.error.MatrixException;

/** {@code GET /rooms/{roomId}/context/{eventId}} (spec client-server §Events). */
@RestController
class ContextController {

    private final RoomContext context;

    ContextController(RoomContext context) {
        this.context = context;
    }

    @GetMapping("/_matrix/client/{v:v3|r0}/rooms/{roomId}/context/{eventId}")
    Map<String, Object> context(ClientUser user, @PathVariable String roomId, @PathVariable String eventId,
                                @RequestParam(required = false) String limit,
                                @RequestParam(required = false) String filter) {
        long n = SyncController.number("limit", limit, RoomContext.DEFAULT_LIMIT);
        if (n < 0) {
            throw MatrixException.invalidParam("'limit' must not be negative");
        }
        return context.context(user, roomId, eventId, (int) Math.min(n, RoomContext.MAX_LIMIT),
                RoomEventFilter.parse("filter", filter));
    }
}
