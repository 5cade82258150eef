package org.vestibule.directory;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.accounts.ClientUser;
import org.vestibule.error.Errcode;
import org.vestibule.error.JsonBody;
import org.vestibule.error.MatrixException;

/** Client-server room aliases (spec client-server §Room aliases, directory.yaml). */
@RestController
class DirectoryController {

    private final RoomAliases aliases;

    DirectoryController(RoomAliases aliases) {
        this.aliases = aliases;
    }

    @PutMapping("/_matrix/client/{v:v3|r0}/directory/room/{roomAlias}")
    Map<String, Object> create(ClientUser user, @PathVariable String roomAlias, @RequestBody(required = false) byte[] body) {
        Map<String, Object> json = parse(body);
        Object roomId = json.get("room_id");
        if (roomId == null) {
            throw new MatrixException(400, Errcode.MISSING_PARAM, "'room_id' is required");
        }
        if (!(roomId instanceof String id)) {
            throw MatrixException.badJson("'room_id' must be a string");
        }
        aliases.create(user.userId(), user.admin(), roomAlias, id);
        return Map.of();
    }

    /** No access token needed (the spec lists no security for this GET). */
    @GetMapping("/_matrix/client/{v:v3|r0}/directory/room/{roomAlias}")
    Map<String, Object> resolve(@PathVariable String roomAlias) {
        RoomAliases.Resolved r = aliases.resolve(roomAlias);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("room_id", r.roomId());
        out.put("servers", r.servers());
        return out;
    }

    @DeleteMapping("/_matrix/client/{v:v3|r0}/directory/room/{roomAlias}")
    Map<String, Object> delete(ClientUser user, @PathVariable String roomAlias) {
        aliases.delete(user.userId(), user.admin(), roomAlias);
        return Map.of();
    }

    @GetMapping("/_matrix/client/{v:v3|r0}/rooms/{roomId}/aliases")
    Map<String, Object> roomAliases(ClientUser user, @PathVariable String roomId) {
        return Map.of("aliases", aliases.aliasesOf(user.userId(), roomId));
    }

    private static Map<String, Object> parse(byte[] body) {
        return JsonBody.parse(body, JsonBody.SMALL).map();
    }
}
