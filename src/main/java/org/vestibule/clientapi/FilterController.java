package org.vestibule.clientapi;

import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.accounts.ClientUser;
import org.vestibule.error.JsonBody;

/** {@code POST /user/{userId}/filter} and {@code GET /user/{userId}/filter/{filterId}} (spec client-server §Filtering). */
@RestController
class FilterController {

    private final Filters filters;

    FilterController(Filters filters) {
        this.filters = filters;
    }

    @PostMapping("/_matrix/client/{v:v3|r0}/user/{userId}/filter")
    Map<String, Object> create(ClientUser user, @PathVariable String userId, @RequestBody(required = false) byte[] raw) {
        return Map.of("filter_id", filters.create(user, userId, JsonBody.parse(raw).map()));
    }

    @GetMapping("/_matrix/client/{v:v3|r0}/user/{userId}/filter/{filterId}")
    Map<String, Object> get(ClientUser user, @PathVariable String userId, @PathVariable String filterId) {
        return filters.get(user, userId, filterId);
    }
}
