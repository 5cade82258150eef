package org.vestibule.accounts;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Transient;
import org.springframework.data.domain.Persistable;

/** A local user account. */
@Entity
@Table(name = "users")
class Account implements Persistable<String> {

    @Id
    @Column(name = "user_id")
    private String userId;

    @Column(name = "localpart", nullable = false, unique = true)
    private String localpart;

    @Column(name = "password_hash")
    private String passwordHash;

    @Column(name = "admin", nullable = false)
    private boolean admin;

    @Column(name = "displayname")
    private String displayname;

    @Column(name = "avatar_url")
    private String avatarUrl;

    @Column(name = "created_ts", nullable = false)
    private long createdTs;

    @Column(name = "deactivated", nullable = false)
    private boolean deactivated;

    // A new account is inserted, never merged: two registrations of one name at once must not
    // both succeed, the later one taking over the account (merge would update the row).
    @Transient
    private boolean isNew;

    protected Account() {}

    Account(String userId, String localpart, String passwordHash, boolean admin, long createdTs) {
        this.userId = userId;
        this.localpart = localpart;
        this.passwordHash = passwordHash;
        this.admin = admin;
        this.createdTs = createdTs;
        this.isNew = true;
    }

    @Override
    public String getId() {
        return userId;
    }

    @Override
    public boolean isNew() {
        return isNew;
    }

    String userId() {
        return userId;
    }

    String passwordHash() {
        return passwordHash;
    }

    boolean admin() {
        return admin;
    }

    String displayname() {
        return displayname;
    }

    void setDisplayname(String displayname) {
        this.displayname = displayname;
    }

    String avatarUrl() {
        return avatarUrl;
    }

    void setAvatarUrl(String avatarUrl) {
        this.avatarUrl = avatarUrl;
    }

    boolean deactivated() {
        return deactivated;
    }

    @Override
    public String toString() {
        return "Account[" + userId + "]";
    }
}
