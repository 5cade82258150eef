package org.vestibule.profile;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.accounts.ClientUser;
import org.vestibule.error.JsonBody;
import org.vestibule.error.MatrixException;

/** {@code POST /user_directory/search} (spec client-server §User directory, users.yaml). */
@RestController
class UserDirectoryController {

    /** The longest search term we take. */
    static final int MAX_TERM = 1000;

    private final UserDirectory directory;

    UserDirectoryController(UserDirectory directory) {
        this.directory = directory;
    }

    @PostMapping("/_matrix/client/{v:v3|r0}/user_directory/search")
    Map<String, Object> search(ClientUser user, @RequestBody(required = false) byte[] raw) {
        JsonBody body = JsonBody.parse(raw, JsonBody.SMALL);
        String term = body.requireString("search_term");
        if (term.length() > MAX_TERM) {
            throw MatrixException.invalidParam("search_term may be at most " + MAX_TERM + " characters long");
        }
        Object limit = body.map().get("limit");
        if (limit != null && !(limit instanceof Long)) {
            throw MatrixException.badJson("'limit' must be an integer");
        }
        long asked = limit == null ? UserDirectory.DEFAULT_LIMIT : (Long) limit;
        if (asked < 0) {
            throw MatrixException.invalidParam("'limit' must not be negative");
        }
        UserDirectory.Results results = directory.search(user, term, (int) Math.min(asked, UserDirectory.MAX_LIMIT));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("results", results.results().stream().map(UserDirectory::format).toList());
        out.put("limited", results.limited());
        return out;
    }
}
