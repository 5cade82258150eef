package org.vestibule.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestNames;
import org.vestibule.support.VestibuleIntegrationTest;

/** {@code vestibule.rate-limits.enabled=false} (what every other test server runs with) lets everything through. */
@VestibuleIntegrationTest
class RateLimitsOffIntegrationTests {

    @LocalServerPort int port;
    @Autowired RateLimits limits;

    @Test
    @DisplayName("30 wrong passwords, 30 registrations and 30 messages in a row, none refused")
    void nothingIsLimited() {
        assertThat(limits.enabled()).isFalse();
        MatrixClient client = new MatrixClient("http://127.0.0.1:" + port);
        String name = TestNames.unique("off");
        User user = client.register(name);
        for (int i = 0; i < 30; i++) {
            Response wrong = client.post("/_matrix/client/v3/login", null, Map.of("type", "m.login.password",
                    "identifier", Map.of("type", "m.id.user", "user", name), "password", "wrong"));
            assertThat(wrong.status()).isEqualTo(403);
        }
        client.post("/_matrix/client/v3/login", null, Map.of("type", "m.login.password",
                "identifier", Map.of("type", "m.id.user", "user", name), "password", "pw-" + name)).expect(200);
        for (int i = 0; i < 30; i++) {
            client.register(TestNames.unique("off" + i));
        }
        String room = client.createRoom(user, Map.of("preset", "public_chat"));
        for (int i = 0; i < 30; i++) {
            client.sendMessage(user, room, "m" + i).expect(200);
        }
    }
}
