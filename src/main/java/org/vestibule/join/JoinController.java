package org.vestibule.join;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.accounts.ClientUser;
import org.vestibule.error.JsonBody;
import org.vestibule.event.Json;

/** Client-server join, knock and leave (spec client-server §Joining rooms, §Knocking on rooms, §Leaving rooms). */
@RestController
class JoinController {

    private final JoinService joins;
    private final KnockService knocks;

    JoinController(JoinService joins, KnockService knocks) {
        this.joins = joins;
        this.knocks = knocks;
    }

    @PostMapping({"/_matrix/client/{v:v3|r0}/join/{roomIdOrAlias}", "/_matrix/client/{v:v3|r0}/rooms/{roomIdOrAlias}/join"})
    Map<String, Object> join(ClientUser user, @PathVariable String roomIdOrAlias,
                             @RequestParam(name = "via", required = false) List<String> via,
                             @RequestParam(name = "server_name", required = false) List<String> serverName,
                             @RequestBody(required = false) byte[] body) {
        String reason = Json.string(parse(body), "reason").orElse(null);
        return Map.of("room_id", joins.join(user.userId(), roomIdOrAlias, servers(via, serverName), reason));
    }

    @PostMapping("/_matrix/client/{v:v3|r0}/knock/{roomIdOrAlias}")
    Map<String, Object> knock(ClientUser user, @PathVariable String roomIdOrAlias,
                              @RequestParam(name = "via", required = false) List<String> via,
                              @RequestParam(name = "server_name", required = false) List<String> serverName,
                              @RequestBody(required = false) byte[] body) {
        String reason = Json.string(parse(body), "reason").orElse(null);
        return Map.of("room_id", knocks.knock(user.userId(), roomIdOrAlias, servers(via, serverName), reason));
    }

    /** {@code via} (v1.12) or the deprecated {@code server_name} that Complement still sends. */
    private static List<String> servers(List<String> via, List<String> serverName) {
        List<String> servers = new ArrayList<>();
        if (via != null) {
            servers.addAll(via);
        } else if (serverName != null) {
            servers.addAll(serverName);
        }
        return servers;
    }

    @PostMapping("/_matrix/client/{v:v3|r0}/rooms/{roomId}/leave")
    Map<String, Object> leave(ClientUser user, @PathVariable String roomId, @RequestBody(required = false) byte[] body) {
        joins.leave(user.userId(), roomId, Json.string(parse(body), "reason").orElse(null));
        return Map.of();
    }

    private static Map<String, Object> parse(byte[] body) {
        return JsonBody.parse(body, JsonBody.SMALL).map();
    }
}
