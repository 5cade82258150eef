package org.vestibule.push;

import java.util.Map;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.accounts.ClientUser;
import org.vestibule.error.JsonBody;

/** The push rules API (spec client-server §Push Rules: API, pushrules.yaml). */
@RestController
class PushRulesController {

    private static final String RULE = "/_matrix/client/{v:v3|r0}/pushrules/{scope}/{kind}/{ruleId}";

    private final PushRules rules;

    PushRulesController(PushRules rules) {
        this.rules = rules;
    }

    @GetMapping({"/_matrix/client/{v:v3|r0}/pushrules/", "/_matrix/client/{v:v3|r0}/pushrules"})
    Map<String, Object> all(ClientUser user) {
        return Map.of("global", rules.ruleSet(user.userId()).json());
    }

    @GetMapping({"/_matrix/client/{v:v3|r0}/pushrules/global/", "/_matrix/client/{v:v3|r0}/pushrules/global"})
    Map<String, Object> global(ClientUser user) {
        return rules.ruleSet(user.userId()).json();
    }

    @GetMapping(RULE)
    Map<String, Object> rule(ClientUser user, @PathVariable String scope, @PathVariable String kind,
                             @PathVariable String ruleId) {
        return rules.rule(user.userId(), scope, kind, ruleId);
    }

    @PutMapping(RULE)
    Map<String, Object> put(ClientUser user, @PathVariable String scope, @PathVariable String kind,
                            @PathVariable String ruleId, @RequestParam(required = false) String before,
                            @RequestParam(required = false) String after, @RequestBody(required = false) byte[] body) {
        rules.put(user.userId(), scope, kind, ruleId, JsonBody.parse(body, JsonBody.SMALL).map(), before, after);
        return Map.of();
    }

    @DeleteMapping(RULE)
    Map<String, Object> delete(ClientUser user, @PathVariable String scope, @PathVariable String kind,
                               @PathVariable String ruleId) {
        rules.delete(user.userId(), scope, kind, ruleId);
        return Map.of();
    }

    @GetMapping(RULE + "/enabled")
    Map<String, Object> enabled(ClientUser user, @PathVariable String scope, @PathVariable String kind,
                                @PathVariable String ruleId) {
        return Map.of("enabled", rules.enabled(user.userId(), scope, kind, ruleId));
    }

    @PutMapping(RULE + "/enabled")
    Map<String, Object> setEnabled(ClientUser user, @PathVariable String scope, @PathVariable String kind,
                                   @PathVariable String ruleId, @RequestBody(required = false) byte[] body) {
        rules.setEnabled(user.userId(), scope, kind, ruleId, JsonBody.parse(body, JsonBody.SMALL).map().get("enabled"));
        return Map.of();
    }

    @GetMapping(RULE + "/actions")
    Map<String, Object> actions(ClientUser user, @PathVariable String scope, @PathVariable String kind,
                                @PathVariable String ruleId) {
        return Map.of("actions", rules.actions(user.userId(), scope, kind, ruleId));
    }

    @PutMapping(RULE + "/actions")
    Map<String, Object> setActions(ClientUser user, @PathVariable String scope, @PathVariable String kind,
                                   @PathVariable String ruleId, @RequestBody(required = false) byte[] body) {
        rules.setActions(user.userId(), scope, kind, ruleId, JsonBody.parse(body, JsonBody.SMALL).map().get("actions"));
        return Map.of();
    }
}
