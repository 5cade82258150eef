package org.vestibule.accounts;

import org.springframework.data.jpa.repository.JpaRepository;

/** Local accounts. */
interface Accounts extends JpaRepository<Account, String> {
}
