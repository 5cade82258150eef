package org.vestibule.keys;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A row of server_signing_keys. */
@Entity
@Table(name = "server_signing_keys")
class StoredSigningKey {

    @Id
    @Column(name = "key_id")
    private String keyId;

    @Column(name = "seed", nullable = false)
    private byte[] seed;

    @Column(name = "created_ts", nullable = false)
    private long createdTs;

    @Column(name = "expired_ts")
    private Long expiredTs;

    protected StoredSigningKey() {}

    StoredSigningKey(String keyId, byte[] seed, long createdTs) {
        this.keyId = keyId;
        this.seed = seed;
        this.createdTs = createdTs;
    }

    String keyId() {
        return keyId;
    }

    byte[] seed() {
        return seed;
    }

    long createdTs() {
        return createdTs;
    }

    Long expiredTs() {
        return expiredTs;
    }

    @Override
    public String toString() {
        return "StoredSigningKey[" + keyId + "]";
    }
}
