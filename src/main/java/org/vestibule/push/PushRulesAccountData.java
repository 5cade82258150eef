package org.vestibule.push;

import java.util.Map;
import org.springframework.stereotype.Component;
import org.vestibule.accountdata.ManagedAccountData;

/** {@code m.push_rules} in /sync's account data and GET account_data: the rules as they apply, {@code {"global": …}}. */
@Component
class PushRulesAccountData implements ManagedAccountData {

    static final String TYPE = "m.push_rules";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Map<String, Object> render(String userId, Map<String, Object> stored) {
        return Map.of("global", PushRuleSet.of(userId, stored).json());
    }
}
