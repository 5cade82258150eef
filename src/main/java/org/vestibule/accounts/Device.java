package org.vestibule.accounts;

/** One of a user's devices (spec client-server §Device Management); null fields are absent. */
public record Device(String deviceId, String displayName, String lastSeenIp, Long lastSeenTs) {
}
