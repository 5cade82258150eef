package org.vestibule.accounts;

import java.util.List;
import org.springframework.data.domain.Limit;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** Local accounts. */
interface Accounts extends JpaRepository<Account, String> {

    /** Active accounts whose user ID or displayname, lower-cased, is like the pattern ('!' escapes). */
    @Query("select a from Account a where a.deactivated = false and (lower(a.userId) like ?1 escape '!' "
            + "or lower(a.displayname) like ?1 escape '!') order by a.userId")
    List<Account> search(String lowerCasePattern, Limit limit);
}
