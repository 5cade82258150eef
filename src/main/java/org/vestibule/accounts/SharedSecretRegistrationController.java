package org.vestibule.accounts;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.error.Errcode;
import org.vestibule.error.JsonBody;
import org.vestibule.error.MatrixException;

/**
 * Synapse's shared-secret registration ({@code /_synapse/admin/v1/register}), which Complement
 * and other test harnesses use to make admin users: a single-use nonce, then an HMAC-SHA1 over
 * nonce, user, password and admin flag.
 */
@RestController
class SharedSecretRegistrationController {

    private static final long NONCE_LIFETIME_MS = 60_000;

    private final AccountService accounts;
    private final ClientProperties properties;
    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final TransactionTemplate tx;

    SharedSecretRegistrationController(AccountService accounts, ClientProperties properties, JdbcTemplate jdbc, Clock clock,
                                       TransactionTemplate tx) {
        this.accounts = accounts;
        this.properties = properties;
        this.jdbc = jdbc;
        this.clock = clock;
        this.tx = tx;
    }

    @GetMapping("/_synapse/admin/v1/register")
    Map<String, Object> nonce() {
        requireEnabled();
        byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        String nonce = HexFormat.of().formatHex(bytes);
        jdbc.update("delete from registration_nonces where created_ts < ?", clock.millis() - NONCE_LIFETIME_MS);
        jdbc.update("insert into registration_nonces (nonce, created_ts) values (?, ?)", nonce, clock.millis());
        return Map.of("nonce", nonce);
    }

    @PostMapping("/_synapse/admin/v1/register")
    Map<String, Object> register(@RequestBody(required = false) byte[] raw) {
        return tx.execute(status -> {
            requireEnabled();
            JsonBody body = JsonBody.parse(raw);
            String nonce = body.requireString("nonce");
            String username = body.requireString("username");
            String password = body.requireString("password");
            boolean admin = body.bool("admin", false);
            String mac = body.requireString("mac");
            int used = jdbc.update("delete from registration_nonces where nonce = ? and created_ts >= ?", nonce,
                    clock.millis() - NONCE_LIFETIME_MS);
            if (used != 1) {
                throw new MatrixException(400, Errcode.UNKNOWN, "Unrecognised or expired nonce; GET a new one first");
            }
            String expected = hmac(nonce, username, password, admin);
            if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                    mac.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII))) {
                throw MatrixException.forbidden("HMAC incorrect");
            }
            AccountService.Session session = accounts.register(username.toLowerCase(Locale.ROOT), password, admin,
                    null, null, false);
            return AccountController.sessionBody(session);
        });
    }

    private String hmac(String nonce, String username, String password, boolean admin) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(properties.registrationSharedSecret().getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
            String message = nonce + "\0" + username + "\0" + password + "\0" + (admin ? "admin" : "notadmin");
            return HexFormat.of().formatHex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private void requireEnabled() {
        String secret = properties.registrationSharedSecret();
        if (secret == null || secret.isEmpty()) {
            throw new MatrixException(400, Errcode.UNKNOWN, "Shared secret registration is not enabled "
                    + "(set vestibule.client.registration-shared-secret)");
        }
    }
}
