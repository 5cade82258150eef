package org.vestibule.accounts;

/** The user behind a request's access token. */
public record ClientUser(String userId, String deviceId, boolean admin) {
}
