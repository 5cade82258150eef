package org.vestibule.accounts;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.error.Errcode;
import org.vestibule.error.JsonBody;
import org.vestibule.error.MatrixException;

/** {@code /devices} and {@code /delete_devices} (spec client-server §Device Management). */
@RestController
class DeviceController {

    private final DeviceManagement devices;

    DeviceController(DeviceManagement devices) {
        this.devices = devices;
    }

    @GetMapping("/_matrix/client/{v:v3|r0}/devices")
    Map<String, Object> list(ClientUser user) {
        return Map.of("devices", devices.devices(user).stream().map(DeviceController::format).toList());
    }

    @GetMapping("/_matrix/client/{v:v3|r0}/devices/{deviceId}")
    Map<String, Object> get(ClientUser user, @PathVariable String deviceId) {
        return format(devices.device(user, deviceId));
    }

    @PutMapping("/_matrix/client/{v:v3|r0}/devices/{deviceId}")
    Map<String, Object> update(ClientUser user, @PathVariable String deviceId, @RequestBody(required = false) byte[] raw) {
        devices.rename(user, deviceId, JsonBody.parse(raw, JsonBody.SMALL).string("display_name"));
        return Map.of();
    }

    @DeleteMapping("/_matrix/client/{v:v3|r0}/devices/{deviceId}")
    ResponseEntity<Map<String, Object>> delete(ClientUser user, @PathVariable String deviceId,
                                               @RequestBody(required = false) byte[] raw) {
        JsonBody body = JsonBody.parse(raw, JsonBody.SMALL);
        return answer(devices.delete(user, List.of(deviceId), body.object("auth")));
    }

    @PostMapping("/_matrix/client/{v:v3|r0}/delete_devices")
    ResponseEntity<Map<String, Object>> deleteMany(ClientUser user, @RequestBody(required = false) byte[] raw) {
        JsonBody body = JsonBody.parse(raw, JsonBody.SMALL);
        if (!body.map().containsKey("devices")) {
            throw new MatrixException(400, Errcode.MISSING_PARAM, "'devices' is required: the IDs of the devices to delete");
        }
        List<String> ids = new ArrayList<>();
        for (Object o : body.list("devices")) {
            if (!(o instanceof String id)) {
                throw MatrixException.badJson("'devices' must list device IDs (strings); " + o + " is not one");
            }
            ids.add(id);
        }
        return answer(devices.delete(user, ids, body.object("auth")));
    }

    private static ResponseEntity<Map<String, Object>> answer(UserInteractiveAuth.Outcome outcome) {
        if (outcome instanceof UserInteractiveAuth.Challenge challenge) {
            return ResponseEntity.status(401).body(challenge.body());
        }
        return ResponseEntity.ok(Map.of());
    }

    static Map<String, Object> format(Device device) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("device_id", device.deviceId());
        if (device.displayName() != null) {
            out.put("display_name", device.displayName());
        }
        if (device.lastSeenIp() != null) {
            out.put("last_seen_ip", device.lastSeenIp());
        }
        if (device.lastSeenTs() != null) {
            out.put("last_seen_ts", device.lastSeenTs());
        }
        return out;
    }
}
