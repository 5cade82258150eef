package org.vestibule.accounts;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Client-server API settings.
 *
 * @param registrationEnabled      open registration with m.login.dummy (a test-network setting:
 *                                 anyone who reaches the server can create accounts)
 * @param registrationSharedSecret enables Synapse's shared-secret admin registration
 *                                 ({@code /_synapse/admin/v1/register}) when set
 * @param defaultRoomVersion       room version of new rooms when the client names none
 * @param passwordHashIterations   PBKDF2-HMAC-SHA256 iterations for new password hashes
 */
@ConfigurationProperties("vestibule.client")
public record ClientProperties(
        @DefaultValue("true") boolean registrationEnabled,
        String registrationSharedSecret,
        @DefaultValue("10") String defaultRoomVersion,
        @DefaultValue("100000") int passwordHashIterations) {

    @Override
    public String toString() {
        return "ClientProperties[registrationEnabled=" + registrationEnabled + ", sharedSecret="
                + (registrationSharedSecret == null ? "unset" : "set") + ", defaultRoomVersion=" + defaultRoomVersion + "]";
    }
}
