package org.vestibule.accounts;

import jakarta.servlet.http.HttpServletRequest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.error.Errcode;
import org.vestibule.error.JsonBody;
import org.vestibule.error.MatrixException;

/** Registration, login, whoami and logout (spec client-server §Account registration, §Login). */
@RestController
class AccountController {

    private final AccountService accounts;
    private final ClientProperties properties;

    AccountController(AccountService accounts, ClientProperties properties) {
        this.accounts = accounts;
        this.properties = properties;
    }

    @PostMapping("/_matrix/client/{v:v3|r0}/register")
    ResponseEntity<Map<String, Object>> register(@RequestBody(required = false) byte[] raw,
                                                 @RequestParam(defaultValue = "user") String kind,
                                                 HttpServletRequest request) {
        JsonBody body = JsonBody.parse(raw);
        if (!"user".equals(kind)) {
            throw new MatrixException(403, Errcode.FORBIDDEN, "Guest registration is not supported");
        }
        if (!properties.registrationEnabled()) {
            throw MatrixException.forbidden("Registration is disabled on this server");
        }
        Map<String, Object> auth = body.object("auth");
        if (!"m.login.dummy".equals(auth.get("type"))) {
            // User-interactive authentication: the one stage we offer is m.login.dummy.
            Map<String, Object> uia = new LinkedHashMap<>();
            uia.put("flows", List.of(Map.of("stages", List.of("m.login.dummy"))));
            uia.put("params", Map.of());
            uia.put("session", "vestibule-registration");
            return ResponseEntity.status(401).body(uia);
        }
        String username = body.string("username");
        AccountService.Session session = accounts.registerFromClient(request.getRemoteAddr(),
                username == null ? null : username.toLowerCase(Locale.ROOT), body.string("password"),
                body.string("device_id"), body.string("initial_device_display_name"), body.bool("inhibit_login", false));
        return ResponseEntity.ok(sessionBody(session));
    }

    @GetMapping("/_matrix/client/v3/register/available")
    Map<String, Object> available(@RequestParam String username) {
        accounts.checkAvailable(username);
        return Map.of("available", true);
    }

    @GetMapping("/_matrix/client/{v:v3|r0}/login")
    Map<String, Object> loginFlows() {
        return Map.of("flows", List.of(Map.of("type", "m.login.password")));
    }

    @PostMapping("/_matrix/client/{v:v3|r0}/login")
    Map<String, Object> login(@RequestBody(required = false) byte[] raw, HttpServletRequest request) {
        JsonBody body = JsonBody.parse(raw);
        String type = body.requireString("type");
        if (!"m.login.password".equals(type)) {
            throw new MatrixException(400, Errcode.UNKNOWN, "Unsupported login type " + type);
        }
        Map<String, Object> identifier = body.object("identifier");
        String user = identifier.get("user") instanceof String u ? u : body.string("user");
        if (user == null) {
            throw new MatrixException(400, Errcode.MISSING_PARAM, "identifier.user is required");
        }
        String password = body.requireString("password");
        return sessionBody(accounts.login(user, password, body.string("device_id"), body.string("initial_device_display_name"),
                request.getRemoteAddr()));
    }

    @GetMapping("/_matrix/client/{v:v3|r0}/account/whoami")
    Map<String, Object> whoami(ClientUser user) {
        return Map.of("user_id", user.userId(), "device_id", user.deviceId(), "is_guest", false);
    }

    @PostMapping("/_matrix/client/{v:v3|r0}/logout")
    Map<String, Object> logout(ClientUser user, HttpServletRequest request) {
        accounts.logout(ClientAuthentication.accessToken(request), user);
        return Map.of();
    }

    /** Every access token of the user, this one too, and every device (spec client-server §Logout). */
    @PostMapping("/_matrix/client/{v:v3|r0}/logout/all")
    Map<String, Object> logoutAll(ClientUser user) {
        accounts.logoutAll(user);
        return Map.of();
    }

    static Map<String, Object> sessionBody(AccountService.Session session) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("user_id", session.userId());
        if (session.accessToken() != null) {
            out.put("access_token", session.accessToken());
            out.put("device_id", session.deviceId());
        }
        return out;
    }
}
