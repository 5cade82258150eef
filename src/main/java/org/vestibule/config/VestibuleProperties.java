package org.vestibule.config;

import java.nio.file.Files;
import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.vestibule.event.Identifiers;

/**
 * Settings every module shares.
 *
 * @param serverName the Matrix server name: the domain of our user and room IDs, and what peers
 *                   sign requests to (env {@code VESTIBULE_SERVER_NAME})
 * @param dataDir    where the embedded database and generated TLS files are kept
 */
@ConfigurationProperties("vestibule")
public record VestibuleProperties(
        @DefaultValue("localhost:8448") String serverName,
        @DefaultValue("data") Path dataDir) {

    public VestibuleProperties {
        if (!Identifiers.isServerName(serverName)) {
            throw new IllegalArgumentException("vestibule.server-name is not a valid Matrix server name: '"
                    + serverName + "' (expected host[:port], e.g. example.org or localhost:8448)");
        }
        String unusable = unusable(dataDir);
        if (unusable != null) {
            throw new IllegalArgumentException("vestibule.data-dir cannot be used: " + unusable);
        }
    }

    /**
     * Why the folder could not be made or written, with the setting that changes it, read before
     * anything is put there; null if it can.
     */
    static String unusable(Path folder) {
        String reason = unusableReason(folder);
        return reason == null ? null : reason + " (set VESTIBULE_DATA_DIR to a folder this user may create and write)";
    }

    private static String unusableReason(Path folder) {
        Path wanted = folder.toAbsolutePath().normalize();
        Path existing = wanted;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return null;
        }
        if (!Files.isDirectory(existing)) {
            return existing + " is a file, not a folder";
        }
        if (!Files.isWritable(existing)) {
            return existing.equals(wanted) ? wanted + " is not writable by this user"
                    : "cannot make " + wanted + ": " + existing + " is not writable by this user";
        }
        return null;
    }

    /** The host part of the server name, without port or IPv6 brackets. */
    public String serverHost() {
        String host = serverName;
        int bracket = host.lastIndexOf(']');
        int colon = host.lastIndexOf(':');
        if (colon > bracket) {
            host = host.substring(0, colon);
        }
        if (host.startsWith("[")) {
            host = host.substring(1, host.length() - 1);
        }
        return host;
    }
}
