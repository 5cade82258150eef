package org.vestibule.accounts;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Service;
import org.vestibule.error.MatrixException;

/**
 * A user's devices (spec client-server §Device Management): listed with where they were last
 * seen, renamed, and deleted behind user-interactive authentication, which ends their sessions.
 */
@Service
public class DeviceManagement {

    /** As Synapse's MAX_DEVICE_DISPLAY_NAME_LEN: device names are public, keep them short. */
    static final int MAX_DISPLAY_NAME = 100;
    /** Most devices one {@code delete_devices} may name. */
    static final int MAX_DELETE = 1000;

    private final Sessions sessions;
    private final UserInteractiveAuth uia;

    DeviceManagement(Sessions sessions, UserInteractiveAuth uia) {
        this.sessions = sessions;
        this.uia = uia;
    }

    public List<Device> devices(ClientUser user) {
        return sessions.devices(user.userId());
    }

    public Device device(ClientUser user, String deviceId) {
        return sessions.device(user.userId(), deviceId).orElseThrow(() -> notFound(deviceId));
    }

    /** Sets the display name; null leaves it unchanged. 404 for a device the user does not have. */
    public void rename(ClientUser user, String deviceId, String displayName) {
        if (displayName != null && displayName.length() > MAX_DISPLAY_NAME) {
            throw MatrixException.invalidParam("A device's display_name may be at most " + MAX_DISPLAY_NAME
                    + " characters long; this one has " + displayName.length());
        }
        boolean found = displayName == null ? sessions.device(user.userId(), deviceId).isPresent()
                : sessions.renameDevice(user.userId(), deviceId, displayName);
        if (!found) {
            throw notFound(deviceId);
        }
    }

    /**
     * Deletes devices, and with them their access tokens, once the request's {@code auth} passes;
     * devices already gone are no error (the spec: "or had been removed previously").
     */
    public UserInteractiveAuth.Outcome delete(ClientUser user, Collection<String> deviceIds, Map<String, Object> auth) {
        if (deviceIds.size() > MAX_DELETE) {
            throw MatrixException.invalidParam("At most " + MAX_DELETE + " devices can be deleted at once");
        }
        List<String> sorted = deviceIds.stream().distinct().sorted().toList();
        UserInteractiveAuth.Outcome outcome = uia.authenticate(user, "delete devices " + String.join(" ", sorted), auth);
        if (outcome instanceof UserInteractiveAuth.Passed && !sorted.isEmpty()) {
            sessions.deleteDevices(user.userId(), sorted);
        }
        return outcome;
    }

    private static MatrixException notFound(String deviceId) {
        return MatrixException.notFound("You have no device " + deviceId);
    }
}
