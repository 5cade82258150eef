package org.vestibule.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.test.context.ContextConfiguration;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.MutableClock;
import org.vestibule.support.TestNames;
import org.vestibule.support.VestibuleTestInitializer;

/**
 * The default rate limits (Synapse's) through the client API, on a clock the test moves: every
 * refusal is 429 M_LIMIT_EXCEEDED with retry_after_ms and a Retry-After header, and waiting that
 * long lets the request through. Not a {@code @VestibuleIntegrationTest}: that one turns limits off.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "vestibule.server-name=test.vestibule.invalid", "vestibule.rate-limits.enabled=true",
        "vestibule.client.registration-shared-secret=" + RateLimitIntegrationTests.SECRET})
@ContextConfiguration(initializers = VestibuleTestInitializer.class)
@Import(RateLimitIntegrationTests.Clocks.class)
class RateLimitIntegrationTests {

    static final String SECRET = "rate-limit-test-secret";

    @TestConfiguration(proxyBeanMethods = false)
    static class Clocks {
        @Bean
        @Primary
        MutableClock mutableClock() {
            return MutableClock.now();
        }
    }

    @Autowired MutableClock clock;
    @LocalServerPort int port;
    MatrixClient client;

    @BeforeEach
    void drainEveryBucket() {
        client = new MatrixClient("http://127.0.0.1:" + port);
        // The limits are per instance and outlive a test: an hour later every bucket is empty.
        clock.advance(Duration.ofHours(1));
    }

    static long assertLimited(Response r, String message) {
        assertThat(r.status()).as(r.raw()).isEqualTo(429);
        assertThat(r.errcode()).isEqualTo("M_LIMIT_EXCEEDED");
        assertThat(r.error()).contains(message).contains("vestibule.rate-limits.");
        long retry = ((Number) r.body().get("retry_after_ms")).longValue();
        assertThat(retry).isPositive();
        assertThat(r.header("Retry-After")).isEqualTo(Long.toString((retry + 999) / 1000));
        return retry;
    }

    Response login(String user, String password) {
        return client.post("/_matrix/client/v3/login", null, Map.of("type", "m.login.password",
                "identifier", Map.of("type", "m.id.user", "user", user), "password", password));
    }

    Response register(String username) {
        return client.post("/_matrix/client/v3/register", null, Map.of("username", username, "password", "pw-" + username,
                "auth", Map.of("type", "m.login.dummy")));
    }

    @Test
    @DisplayName("rc_login.failed_attempts: the 4th failed login within a second gets 429, and after the wait the "
            + "right password logs in")
    void failedLogins() {
        String name = TestNames.unique("login");
        User user = client.register(name);
        for (int i = 0; i < 3; i++) {
            Response wrong = login(user.userId(), "wrong");
            assertThat(wrong.status()).isEqualTo(403);
            assertThat(wrong.errcode()).isEqualTo("M_FORBIDDEN");
        }
        // Even the right password is refused now: the limit is checked before the password.
        long retry = assertLimited(login(user.userId(), "pw-" + name), "Too many failed logins for " + user.userId());
        assertThat(retry).isEqualTo(5883); // one failure drains in 1 / 0.17 s
        // (A login just before that would still be refused: RateLimiterTests shows the boundary.)
        clock.advance(Duration.ofMillis(retry));
        Response ok = login(name, "pw-" + name);
        assertThat(ok.status()).as(ok.raw()).isEqualTo(200);
        assertThat(ok.string("user_id")).isEqualTo(user.userId());
    }

    @Test
    @DisplayName("rc_registration: the 4th registration from one address gets 429 (a taken name costs nothing), "
            + "shared-secret registration is exempt, and after the wait it works")
    void registrations() {
        String first = TestNames.unique("reg");
        assertThat(register(first).status()).isEqualTo(200);
        assertThat(register(TestNames.unique("reg")).status()).isEqualTo(200);
        Response taken = register(first);
        assertThat(taken.status()).isEqualTo(400);
        assertThat(taken.errcode()).isEqualTo("M_USER_IN_USE");
        assertThat(register(TestNames.unique("reg")).status()).isEqualTo(200);
        String fourth = TestNames.unique("reg");
        long retry = assertLimited(register(fourth), "Too many registrations from 127.0.0.1");

        // The admin API is not limited, as in Synapse.
        assertThat(sharedSecretRegister(TestNames.unique("admin-made")).status()).isEqualTo(200);

        clock.advance(Duration.ofMillis(retry));
        assertThat(register(fourth).status()).isEqualTo(200);
    }

    @Test
    @DisplayName("rc_message: 10 events at once, the 11th gets 429; a retried transaction is answered, not counted")
    void messages() {
        User user = sharedSecretUser("talker");
        String room = client.createRoom(user, Map.of("preset", "public_chat"));
        String txnPath = "/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/send/m.room.message/";
        String firstEvent = null;
        for (int i = 0; i < 10; i++) {
            Response sent = client.put(txnPath + "t" + i, user.accessToken(), Map.of("msgtype", "m.text", "body", "m" + i));
            assertThat(sent.status()).as(sent.raw()).isEqualTo(200);
            firstEvent = firstEvent == null ? sent.string("event_id") : firstEvent;
        }
        long retry = assertLimited(client.put(txnPath + "t10", user.accessToken(), Map.of("msgtype", "m.text",
                "body", "m10")), "Too many events sent by " + user.userId());
        assertThat(retry).isEqualTo(5000); // 1 / 0.2 s
        assertLimited(client.sendState(user, room, "m.room.topic", "", Map.of("topic", "t")), "Too many events");
        Response retried = client.put(txnPath + "t0", user.accessToken(), Map.of("msgtype", "m.text", "body", "m0"));
        assertThat(retried.status()).isEqualTo(200);
        assertThat(retried.string("event_id")).isEqualTo(firstEvent);
        clock.advance(Duration.ofMillis(retry));
        assertThat(client.put(txnPath + "t10", user.accessToken(), Map.of("msgtype", "m.text", "body", "m10"))
                .status()).isEqualTo(200);
    }

    @Test
    @DisplayName("rc_joins_per_room: 10 users join a room at once, the 11th gets 429 until the room's joins drain")
    void joinsPerRoom() {
        User owner = sharedSecretUser("owner");
        String room = client.createRoom(owner, Map.of("preset", "public_chat"));
        for (int i = 0; i < 10; i++) {
            User joiner = sharedSecretUser("joiner");
            assertThat(client.join(joiner, room).status()).isEqualTo(200);
        }
        User late = sharedSecretUser("late");
        long retry = assertLimited(client.join(late, room), "Too many users joined " + room);
        assertThat(retry).isEqualTo(1000);
        clock.advance(Duration.ofMillis(retry));
        assertThat(client.join(late, room).status()).isEqualTo(200);
        // Joining again (a profile change) is not a join to count.
        assertThat(client.join(late, room).status()).isEqualTo(200);
    }

    @Test
    @DisplayName("rc_joins.local: a user's 11th join within a few seconds gets 429")
    void joinsPerUser() {
        User owner = sharedSecretUser("rooms");
        User joiner = sharedSecretUser("hopper");
        for (int i = 0; i < 10; i++) {
            String room = client.createRoom(owner, Map.of("preset", "public_chat"));
            assertThat(client.join(joiner, room).status()).isEqualTo(200);
        }
        String eleventh = client.createRoom(owner, Map.of("preset", "public_chat"));
        long retry = assertLimited(client.join(joiner, eleventh), "Too many joins by " + joiner.userId());
        assertThat(retry).isEqualTo(10_000); // 1 / 0.1 s
        clock.advance(Duration.ofMillis(retry));
        assertThat(client.join(joiner, eleventh).status()).isEqualTo(200);
    }

    @Test
    @DisplayName("rc_invites.per_user: the 6th invite of one user within minutes gets 429")
    void invitesPerInvitee() {
        User inviter = sharedSecretUser("inviter");
        User invitee = sharedSecretUser("invitee");
        for (int i = 0; i < 5; i++) {
            String room = client.createRoom(inviter, Map.of("preset", "private_chat"));
            assertThat(invite(inviter, room, invitee).status()).isEqualTo(200);
        }
        String sixth = client.createRoom(inviter, Map.of("preset", "private_chat"));
        long retry = assertLimited(invite(inviter, sixth, invitee), "Too many invites for " + invitee.userId());
        clock.advance(Duration.ofMillis(retry));
        assertThat(invite(inviter, sixth, invitee).status()).isEqualTo(200);
    }

    @Test
    @DisplayName("rc_invites.per_room: a createRoom with 11 invites is refused before the room is made")
    void invitesAtCreation() {
        User inviter = sharedSecretUser("crowd");
        List<String> eleven = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            eleven.add("@guest" + i + ":test.vestibule.invalid");
        }
        assertLimited(client.post("/_matrix/client/v3/createRoom", inviter.accessToken(), Map.of("preset", "private_chat",
                "invite", eleven)), "Too many invites in new rooms by " + inviter.userId());
        Response joined = client.get("/_matrix/client/v3/joined_rooms", inviter.accessToken()).expect(200);
        assertThat((List<?>) joined.body().get("joined_rooms")).isEmpty();
    }

    Response invite(User inviter, String room, User invitee) {
        return client.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/invite", inviter.accessToken(),
                Map.of("user_id", invitee.userId()));
    }

    /** A user made with the shared secret, which no registration limit counts. */
    User sharedSecretUser(String name) {
        Response r = sharedSecretRegister(TestNames.unique(name)).expect(200);
        return new User(r.string("user_id"), r.string("access_token"), r.string("device_id"));
    }

    Response sharedSecretRegister(String username) {
        String nonce = client.get("/_synapse/admin/v1/register", null).expect(200).string("nonce");
        String password = "pw-" + username;
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
            String message = nonce + "\0" + username + "\0" + password + "\0notadmin";
            String hex = HexFormat.of().formatHex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
            return client.post("/_synapse/admin/v1/register", null, Map.of("nonce", nonce, "username", username,
                    "password", password, "admin", false, "mac", hex));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
