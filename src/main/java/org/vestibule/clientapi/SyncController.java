package org.vestibule.clientapi;

import java.util.Map;
import java.util.concurrent.CompletionException;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;
import org.vestibule.accounts.ClientUser;
import org.vestibule.error.MatrixException;
import org.vestibule.presence.Presence;

/** {@code GET /sync} and {@code GET /rooms/{roomId}/messages} (spec client-server §Syncing, §Getting events). */
@RestController
class SyncController {

    private final SyncService sync;
    private final RoomMessages messages;
    private final Filters filters;

    SyncController(SyncService sync, RoomMessages messages, Filters filters) {
        this.sync = sync;
        this.messages = messages;
        this.filters = filters;
    }

    @GetMapping("/_matrix/client/{v:v3|r0}/sync")
    DeferredResult<Map<String, Object>> sync(ClientUser user, @RequestParam(required = false) String since,
                                             @RequestParam(required = false) String timeout,
                                             @RequestParam(name = "full_state", required = false) String fullState,
                                             @RequestParam(required = false) String filter,
                                             @RequestParam(name = "set_presence", required = false) String setPresence) {
        SyncService.Request request = new SyncService.Request(
                since == null || since.isEmpty() ? null : StreamToken.parse("since", since),
                Math.min(SyncService.MAX_TIMEOUT_MS, Math.max(0, number("timeout", timeout, 0))),
                bool("full_state", fullState), filters.syncFilter(user, filter),
                Presence.setPresenceParameter(setPresence));
        // Past the longest wait with time to answer: the container's own async timeout never fires first.
        DeferredResult<Map<String, Object>> result = new DeferredResult<>(request.timeoutMs() + 60_000);
        sync.sync(user, request).whenComplete((body, error) -> {
            if (error != null) {
                result.setErrorResult(error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error);
            } else {
                result.setResult(body);
            }
        });
        return result;
    }

    @GetMapping("/_matrix/client/{v:v3|r0}/rooms/{roomId}/messages")
    Map<String, Object> messages(ClientUser user, @PathVariable String roomId,
                                 @RequestParam(required = false) String from, @RequestParam(required = false) String to,
                                 @RequestParam(required = false) String dir,
                                 @RequestParam(required = false) String limit,
                                 @RequestParam(required = false) String filter) {
        // dir defaults to forwards as in Synapse, though the spec calls it required.
        if (dir != null && !dir.equals("b") && !dir.equals("f")) {
            throw MatrixException.invalidParam("'dir' must be 'b' or 'f'");
        }
        long n = number("limit", limit, RoomMessages.DEFAULT_LIMIT);
        if (n < 0) {
            throw MatrixException.invalidParam("'limit' must not be negative");
        }
        RoomMessages.Request request = new RoomMessages.Request(
                from == null || from.isEmpty() ? null : PageToken.parse("from", from),
                to == null || to.isEmpty() ? null : PageToken.parse("to", to),
                "b".equals(dir), (int) Math.min(n, RoomMessages.MAX_LIMIT), RoomEventFilter.parse("filter", filter));
        return messages.messages(user, roomId, request);
    }

    static long number(String name, String value, long defaultValue) {
        if (value == null || value.isEmpty()) {
            return defaultValue;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw MatrixException.invalidParam("'" + name + "' must be an integer, not '" + value + "'");
        }
    }

    private static boolean bool(String name, String value) {
        if (value == null || value.isEmpty() || value.equals("false")) {
            return false;
        }
        if (value.equals("true")) {
            return true;
        }
        throw MatrixException.invalidParam("'" + name + "' must be 'true' or 'false', not '" + value + "'");
    }
}
