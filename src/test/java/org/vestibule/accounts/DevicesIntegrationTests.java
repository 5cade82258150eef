package org.vestibule.accounts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.TestNames.unique;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.vestibule.event.Json;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.VestibuleIntegrationTest;

/**
 * Device management (spec client-server §Device Management): listing with last seen, renaming,
 * and deleting behind user-interactive authentication, which logs the device out.
 */
@VestibuleIntegrationTest
class DevicesIntegrationTests {

    static final List<Object> PASSWORD_FLOWS = List.of(Map.of("stages", List.of("m.login.password")));

    @LocalServerPort
    int port;

    MatrixClient client;

    @BeforeEach
    void client() {
        client = new MatrixClient("http://127.0.0.1:" + port);
    }

    User registerOn(String name, String deviceId, String displayName) {
        Response r = client.post("/_matrix/client/v3/register", null, Map.of("username", name, "password", "pw-" + name,
                "device_id", deviceId, "initial_device_display_name", displayName,
                "auth", Map.of("type", "m.login.dummy"))).expect(200);
        return new User(r.string("user_id"), r.string("access_token"), r.string("device_id"));
    }

    User login(String name, String deviceId, String displayName) {
        Response r = client.post("/_matrix/client/v3/login", null, Map.of("type", "m.login.password",
                "identifier", Map.of("type", "m.id.user", "user", name), "password", "pw-" + name,
                "device_id", deviceId, "initial_device_display_name", displayName)).expect(200);
        return new User(r.string("user_id"), r.string("access_token"), r.string("device_id"));
    }

    static void assertError(Response r, int status, String errcode) {
        assertThat(r.status()).as(r.raw()).isEqualTo(status);
        assertThat(r.errcode()).as(r.raw()).isEqualTo(errcode);
    }

    static Map<String, Object> passwordAuth(String user, String password, String session) {
        Map<String, Object> auth = new LinkedHashMap<>(Map.of("type", "m.login.password",
                "identifier", Map.of("type", "m.id.user", "user", user), "password", password));
        if (session != null) {
            auth.put("session", session);
        }
        return auth;
    }

    @Test
    void devicesAreListedWithTheirNamesAndWhereTheyWereLastSeen() {
        String name = unique("alice");
        User phone = registerOn(name, "PHONE", "Alice's phone");
        User laptop = login(name, "LAPTOP", "Alice's laptop");

        Response list = client.get("/_matrix/client/v3/devices", laptop.accessToken()).expect(200);
        List<Object> devices = Json.list(list.body(), "devices");
        assertThat(devices).hasSize(2);
        Map<String, Object> first = Json.object(Map.of("d", devices.get(0)), "d");
        Map<String, Object> second = Json.object(Map.of("d", devices.get(1)), "d");
        assertThat(first.get("device_id")).isEqualTo("LAPTOP");
        assertThat(first.get("display_name")).isEqualTo("Alice's laptop");
        assertThat(first.get("last_seen_ip")).isEqualTo("127.0.0.1");
        assertThat(first.get("last_seen_ts")).isInstanceOf(Long.class);
        // The phone has made no authenticated request yet: never seen, so no last_seen fields.
        assertThat(second).containsOnlyKeys("device_id", "display_name");
        assertThat(second.get("device_id")).isEqualTo("PHONE");

        client.get("/_matrix/client/v3/account/whoami", phone.accessToken()).expect(200);
        Response one = client.get("/_matrix/client/v3/devices/PHONE", laptop.accessToken()).expect(200);
        assertThat(one.body()).containsEntry("device_id", "PHONE").containsEntry("display_name", "Alice's phone")
                .containsEntry("last_seen_ip", "127.0.0.1").containsKey("last_seen_ts");

        // Seen again at once: not written again (one write per device per two minutes at most).
        long seen = (Long) one.body().get("last_seen_ts");
        client.get("/_matrix/client/v3/account/whoami", phone.accessToken()).expect(200);
        assertThat(client.get("/_matrix/client/v3/devices/PHONE", laptop.accessToken()).expect(200).body())
                .containsEntry("last_seen_ts", seen);

        // Another user's device, and one that does not exist: 404.
        User bob = client.register(unique("bob"));
        assertError(client.get("/_matrix/client/v3/devices/PHONE", bob.accessToken()), 404, "M_NOT_FOUND");
        assertError(client.get("/_matrix/client/v3/devices/NOPE", laptop.accessToken()), 404, "M_NOT_FOUND");
        assertError(client.get("/_matrix/client/v3/devices", null), 401, "M_MISSING_TOKEN");
    }

    @Test
    void renamingADevice() {
        String name = unique("alice");
        User alice = registerOn(name, "PHONE", "old name");
        String path = "/_matrix/client/v3/devices/PHONE";
        assertThat(client.put(path, alice.accessToken(), Map.of("display_name", "new name")).expect(200).body()).isEmpty();
        assertThat(client.get(path, alice.accessToken()).expect(200).body()).containsEntry("display_name", "new name");
        // No display_name: unchanged.
        client.put(path, alice.accessToken(), Map.of()).expect(200);
        assertThat(client.get(path, alice.accessToken()).expect(200).body()).containsEntry("display_name", "new name");

        assertError(client.put("/_matrix/client/v3/devices/OTHER", alice.accessToken(), Map.of("display_name", "x")),
                404, "M_NOT_FOUND");
        assertError(client.put(path, alice.accessToken(), Map.of("display_name", 5)), 400, "M_BAD_JSON");
        assertError(client.put(path, alice.accessToken(), Map.of("display_name", "x".repeat(101))), 400,
                "M_INVALID_PARAM");
        assertError(client.put(path, alice.accessToken(), "{not json".getBytes()), 400, "M_NOT_JSON");
        assertError(client.put(path, null, Map.of("display_name", "x")), 401, "M_MISSING_TOKEN");
    }

    @Test
    void deletingADeviceNeedsThePasswordAndLogsItOut() {
        String name = unique("alice");
        User phone = registerOn(name, "PHONE", "phone");
        User laptop = login(name, "LAPTOP", "laptop");
        String path = "/_matrix/client/v3/devices/PHONE";

        // No auth: 401 with the flows and a session, and no errcode (spec §User-interactive API).
        Response challenge = client.request("DELETE", path, laptop.accessToken(), Map.of());
        assertThat(challenge.status()).as(challenge.raw()).isEqualTo(401);
        assertThat(challenge.body()).containsOnlyKeys("flows", "params", "session");
        assertThat(challenge.body().get("flows")).isEqualTo(PASSWORD_FLOWS);
        String session = challenge.string("session");
        assertThat(session).isNotBlank();
        // No body at all is the same.
        assertThat(client.request("DELETE", path, laptop.accessToken(), null).status()).isEqualTo(401);

        // The wrong password: 401 again, now with M_FORBIDDEN, the same flows and session.
        Response wrong = client.request("DELETE", path, laptop.accessToken(),
                Map.of("auth", passwordAuth(name, "wrong", session)));
        assertError(wrong, 401, "M_FORBIDDEN");
        assertThat(wrong.body().get("flows")).isEqualTo(PASSWORD_FLOWS);
        assertThat(wrong.string("session")).isEqualTo(session);
        // Another user named in the identifier, with that user's password: refused the same way.
        String bobName = unique("bob");
        User bob = client.register(bobName);
        assertError(client.request("DELETE", path, laptop.accessToken(),
                Map.of("auth", passwordAuth(bob.userId(), "pw-" + bobName, session))), 401, "M_FORBIDDEN");
        // An auth type we do not offer here.
        assertError(client.request("DELETE", path, laptop.accessToken(),
                Map.of("auth", Map.of("type", "m.login.dummy", "session", session))), 401, "M_FORBIDDEN");
        // A session we never gave out; a session of another operation; a password that is not a string.
        assertError(client.request("DELETE", path, laptop.accessToken(),
                Map.of("auth", passwordAuth(name, "pw-" + name, "no-such-session"))), 400, "M_UNKNOWN");
        assertError(client.request("DELETE", "/_matrix/client/v3/devices/LAPTOP", laptop.accessToken(),
                Map.of("auth", passwordAuth(name, "pw-" + name, session))), 403, "M_FORBIDDEN");
        assertError(client.request("DELETE", path, laptop.accessToken(), Map.of("auth", Map.of("type",
                "m.login.password", "password", 1, "session", session))), 400, "M_BAD_JSON");
        client.get("/_matrix/client/v3/account/whoami", phone.accessToken()).expect(200);

        // The right password (the full user ID works as the identifier too): deleted, its token dead.
        assertThat(client.request("DELETE", path, laptop.accessToken(),
                Map.of("auth", passwordAuth(phone.userId(), "pw-" + name, session))).expect(200).body()).isEmpty();
        assertError(client.get("/_matrix/client/v3/account/whoami", phone.accessToken()), 401, "M_UNKNOWN_TOKEN");
        assertError(client.get(path, laptop.accessToken()), 404, "M_NOT_FOUND");
        // The session's stage is complete: retrying with the session alone succeeds (the device is already gone).
        client.request("DELETE", path, laptop.accessToken(), Map.of("auth", Map.of("session", session))).expect(200);
        client.get("/_matrix/client/v3/account/whoami", laptop.accessToken()).expect(200);
    }

    @Test
    void deleteDevicesDeletesSeveralAtOnce() {
        String name = unique("alice");
        User a = registerOn(name, "A", "a");
        User b = login(name, "B", "b");
        User c = login(name, "C", "c");
        String path = "/_matrix/client/v3/delete_devices";

        assertError(client.post(path, c.accessToken(), Map.of()), 400, "M_MISSING_PARAM");
        assertError(client.post(path, c.accessToken(), Map.of("devices", List.of("A", 2))), 400, "M_BAD_JSON");
        assertError(client.post(path, c.accessToken(), Map.of("devices", "A")), 400, "M_BAD_JSON");
        Response challenge = client.post(path, c.accessToken(), Map.of("devices", List.of("A", "B")));
        assertThat(challenge.status()).isEqualTo(401);
        assertThat(challenge.body().get("flows")).isEqualTo(PASSWORD_FLOWS);

        // Without a session: a correct password alone does it (and a device that never existed is no error).
        client.post(path, c.accessToken(), Map.of("devices", List.of("A", "B", "NEVER"),
                "auth", passwordAuth(name, "pw-" + name, null))).expect(200);
        assertError(client.get("/_matrix/client/v3/account/whoami", a.accessToken()), 401, "M_UNKNOWN_TOKEN");
        assertError(client.get("/_matrix/client/v3/account/whoami", b.accessToken()), 401, "M_UNKNOWN_TOKEN");
        List<Object> left = Json.list(client.get("/_matrix/client/v3/devices", c.accessToken()).expect(200).body(),
                "devices");
        assertThat(left).hasSize(1);
        assertThat(((Map<?, ?>) left.get(0)).get("device_id")).isEqualTo("C");
    }
}
