package org.vestibule.directory;

import java.util.Map;
import java.util.Optional;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.accounts.ClientUser;
import org.vestibule.error.Errcode;
import org.vestibule.error.JsonBody;
import org.vestibule.error.MatrixException;

/**
 * The published room directory for clients (spec client-server §Listing rooms,
 * list_public_rooms.yaml): {@code publicRooms} (ours, or another server's with {@code server=}) and
 * {@code /directory/list/room/{roomId}}.
 */
@RestController
class PublicRoomsController {

    private final PublicRoomDirectory directory;

    PublicRoomsController(PublicRoomDirectory directory) {
        this.directory = directory;
    }

    /**
     * The spec asks no access token for the GET; we ask one only to list another server's
     * directory, so that anonymous callers cannot make this server send requests.
     */
    @GetMapping("/_matrix/client/{v:v3|r0}/publicRooms")
    Map<String, Object> list(Optional<ClientUser> user, @RequestParam(required = false) Integer limit,
                             @RequestParam(required = false) String since, @RequestParam(required = false) String server,
                             @RequestParam(name = "third_party_instance_id", required = false) String network) {
        PublicRoomsQuery query = PublicRoomsQuery.of(limit, since, network);
        if (server == null) {
            return directory.localRooms(query);
        }
        if (user.isEmpty()) {
            throw new MatrixException(401, Errcode.MISSING_TOKEN, "An access token is needed to list another server's "
                    + "directory (server=" + server + ")");
        }
        return directory.remoteRooms(server, query);
    }

    @PostMapping("/_matrix/client/{v:v3|r0}/publicRooms")
    Map<String, Object> search(ClientUser user, @RequestParam(required = false) String server,
                               @RequestBody(required = false) byte[] raw) {
        PublicRoomsQuery query = PublicRoomsQuery.fromJson(JsonBody.parse(raw, JsonBody.SMALL));
        return server == null ? directory.localRooms(query) : directory.remoteRooms(server, query);
    }

    /** No access token needed (the spec lists no security for this GET). */
    @GetMapping("/_matrix/client/{v:v3|r0}/directory/list/room/{roomId}")
    Map<String, Object> visibility(@PathVariable String roomId) {
        return Map.of("visibility", directory.visibility(roomId));
    }

    @PutMapping("/_matrix/client/{v:v3|r0}/directory/list/room/{roomId}")
    Map<String, Object> setVisibility(ClientUser user, @PathVariable String roomId,
                                      @RequestBody(required = false) byte[] raw) {
        String visibility = JsonBody.parse(raw, JsonBody.SMALL).string("visibility");
        directory.setVisibility(user, roomId, visibility == null ? "public" : visibility);
        return Map.of();
    }
}
