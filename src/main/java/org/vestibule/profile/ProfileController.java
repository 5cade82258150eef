package org.vestibule.profile;

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

/** Client-server profiles (spec client-server §Profiles, profile.yaml). Reading needs no access token. */
@RestController
class ProfileController {

    private final Profiles profiles;

    ProfileController(Profiles profiles) {
        this.profiles = profiles;
    }

    @GetMapping("/_matrix/client/{v:v3|r0}/profile/{userId}")
    Map<String, Object> profile(@PathVariable String userId) {
        return profiles.profile(userId);
    }

    @GetMapping("/_matrix/client/{v:v3|r0}/profile/{userId}/{key}")
    Map<String, Object> field(@PathVariable String userId, @PathVariable String key) {
        return profiles.field(userId, key);
    }

    @PutMapping("/_matrix/client/{v:v3|r0}/profile/{userId}/{key}")
    Map<String, Object> set(ClientUser user, @PathVariable String userId, @PathVariable String key,
                            @RequestBody(required = false) byte[] body) {
        Map<String, Object> json = parse(body);
        if (!json.containsKey(key)) {
            throw new MatrixException(400, Errcode.MISSING_PARAM, "The body must hold '" + key + "'");
        }
        if (json.get(key) == null) {
            // Spec: servers may refuse null; clients delete a field with DELETE.
            throw MatrixException.badJson("'" + key + "' must not be null; use DELETE to remove it");
        }
        profiles.set(user, userId, key, json.get(key));
        return Map.of();
    }

    @DeleteMapping("/_matrix/client/{v:v3|r0}/profile/{userId}/{key}")
    Map<String, Object> delete(ClientUser user, @PathVariable String userId, @PathVariable String key) {
        profiles.set(user, userId, key, null);
        return Map.of();
    }

    private static Map<String, Object> parse(byte[] body) {
        return JsonBody.parse(body, JsonBody.SMALL).map();
    }
}
