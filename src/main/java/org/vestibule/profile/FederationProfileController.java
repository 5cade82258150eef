package org.vestibule.profile;

import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.federation.inbound.Origin;

/** {@code GET /query/profile} (spec server-server §Querying for information). */
@RestController
class FederationProfileController {

    private final Profiles profiles;

    FederationProfileController(Profiles profiles) {
        this.profiles = profiles;
    }

    @GetMapping("/_matrix/federation/v1/query/profile")
    Map<String, Object> profile(Origin origin, @RequestParam(name = "user_id") String userId,
                                @RequestParam(name = "field", required = false) String field) {
        return profiles.forFederation(userId, field);
    }
}
