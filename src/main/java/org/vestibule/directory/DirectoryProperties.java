package org.vestibule.directory;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Room directory settings.
 *
 * @param publicRoomsOverFederation answer other servers' {@code /_matrix/federation/v1/publicRooms}
 *                                  (Synapse's {@code allow_public_rooms_over_federation}, off there by
 *                                  default; on here, a server for test networks)
 */
@ConfigurationProperties("vestibule.directory")
public record DirectoryProperties(@DefaultValue("true") boolean publicRoomsOverFederation) {
}
