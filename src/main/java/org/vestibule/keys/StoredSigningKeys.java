package org.vestibule.keys;

import java.util.List;
import org.springframework.data.jpa.repository.JpaRepository;

/** Our signing keys in PostgreSQL. */
interface StoredSigningKeys extends JpaRepository<StoredSigningKey, String> {

    List<StoredSigningKey> findByExpiredTsIsNullOrderByCreatedTsDesc();

    List<StoredSigningKey> findByExpiredTsIsNotNull();
}
