package org.vestibule.accountdata;

import java.util.Map;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.accounts.ClientUser;
import org.vestibule.error.JsonBody;

/** Account data and room tags (spec client-server §Client Config, §Room Tagging). */
@RestController
class AccountDataController {

    private final AccountData accountData;

    AccountDataController(AccountData accountData) {
        this.accountData = accountData;
    }

    @PutMapping("/_matrix/client/{v:v3|r0}/user/{userId}/account_data/{type}")
    Map<String, Object> putGlobal(ClientUser user, @PathVariable String userId, @PathVariable String type,
                                  @RequestBody(required = false) byte[] body) {
        accountData.put(user.userId(), userId, null, type, JsonBody.parseAnyObject(body, AccountData.MAX_BYTES));
        return Map.of();
    }

    @GetMapping("/_matrix/client/{v:v3|r0}/user/{userId}/account_data/{type}")
    Map<String, Object> getGlobal(ClientUser user, @PathVariable String userId, @PathVariable String type) {
        return accountData.get(user.userId(), userId, null, type);
    }

    @PutMapping("/_matrix/client/{v:v3|r0}/user/{userId}/rooms/{roomId}/account_data/{type}")
    Map<String, Object> putRoom(ClientUser user, @PathVariable String userId, @PathVariable String roomId,
                                @PathVariable String type, @RequestBody(required = false) byte[] body) {
        accountData.put(user.userId(), userId, roomId, type, JsonBody.parseAnyObject(body, AccountData.MAX_BYTES));
        return Map.of();
    }

    @GetMapping("/_matrix/client/{v:v3|r0}/user/{userId}/rooms/{roomId}/account_data/{type}")
    Map<String, Object> getRoom(ClientUser user, @PathVariable String userId, @PathVariable String roomId,
                                @PathVariable String type) {
        return accountData.get(user.userId(), userId, roomId, type);
    }

    @GetMapping("/_matrix/client/{v:v3|r0}/user/{userId}/rooms/{roomId}/tags")
    Map<String, Object> tags(ClientUser user, @PathVariable String userId, @PathVariable String roomId) {
        return accountData.tags(user.userId(), userId, roomId);
    }

    @PutMapping("/_matrix/client/{v:v3|r0}/user/{userId}/rooms/{roomId}/tags/{tag}")
    Map<String, Object> putTag(ClientUser user, @PathVariable String userId, @PathVariable String roomId,
                               @PathVariable String tag, @RequestBody(required = false) byte[] body) {
        accountData.putTag(user.userId(), userId, roomId, tag, JsonBody.parseAnyObject(body, AccountData.MAX_BYTES));
        return Map.of();
    }

    @DeleteMapping("/_matrix/client/{v:v3|r0}/user/{userId}/rooms/{roomId}/tags/{tag}")
    Map<String, Object> deleteTag(ClientUser user, @PathVariable String userId, @PathVariable String roomId,
                                  @PathVariable String tag) {
        accountData.deleteTag(user.userId(), userId, roomId, tag);
        return Map.of();
    }
}
