package org.vestibule.keys;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.util.Objects;

/** A row of remote_server_keys: one key of another server. */
@Entity
@Table(name = "remote_server_keys")
@IdClass(StoredRemoteKey.Id.class)
class StoredRemoteKey {

    /** The composite primary key. */
    static class Id implements Serializable {
        private String serverName;
        private String keyId;

        protected Id() {}

        Id(String serverName, String keyId) {
            this.serverName = serverName;
            this.keyId = keyId;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Id other && serverName.equals(other.serverName) && keyId.equals(other.keyId);
        }

        @Override
        public int hashCode() {
            return Objects.hash(serverName, keyId);
        }
    }

    @jakarta.persistence.Id
    @Column(name = "server_name")
    private String serverName;

    @jakarta.persistence.Id
    @Column(name = "key_id")
    private String keyId;

    @Column(name = "verify_key", nullable = false)
    private byte[] verifyKey;

    @Column(name = "valid_until_ts", nullable = false)
    private long validUntilTs;

    @Column(name = "expired_ts")
    private Long expiredTs;

    @Column(name = "fetched_ts", nullable = false)
    private long fetchedTs;

    @Column(name = "key_json", nullable = false)
    private byte[] keyJson;

    protected StoredRemoteKey() {}

    String serverName() {
        return serverName;
    }

    String keyId() {
        return keyId;
    }

    byte[] verifyKey() {
        return verifyKey;
    }

    long validUntilTs() {
        return validUntilTs;
    }

    Long expiredTs() {
        return expiredTs;
    }

    long fetchedTs() {
        return fetchedTs;
    }

    byte[] keyJson() {
        return keyJson;
    }

    @Override
    public String toString() {
        return "StoredRemoteKey[" + serverName + " " + keyId + "]";
    }
}
