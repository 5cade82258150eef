package org.vestibule.accounts;

/** A local user's profile as the user directory shows it; null fields are unset. */
public record LocalProfile(String userId, String displayname, String avatarUrl) {
}
