package org.vestibule.clientapi;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.stereotype.Component;
import org.vestibule.join.JoinService;

/** A local user's displayname and avatar, carried in their member events. */
@Component
class MemberProfiles implements JoinService.Profiles {

    private final AccountService accounts;

    MemberProfiles(AccountService accounts) {
        this.accounts = accounts;
    }

    @Override
    public Map<String, Object> memberContent(String userId) {
        Map<String, Object> content = new LinkedHashMap<>();
        accounts.displayname(userId).ifPresent(d -> content.put("displayname", d));
        accounts.avatarUrl(userId).ifPresent(a -> content.put("avatar_url", a));
        return content;
    }
}
