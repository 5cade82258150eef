package org.vestibule.keys;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.stereotype.Component;
import org.vestibule.event.CanonicalJson;
import org.vestibule.event.JsonSigning;

/**
 * Our signed key document (spec server-server §Publishing Keys), re-signed when half of its
 * validity has passed so that peers never see one about to expire.
 */
@Component
public class ServerKeyDocument {

    private final ServerKeyring keyring;
    private final KeysProperties properties;
    private final Clock clock;
    private volatile Signed cached;

    private record Signed(Map<String, Object> document, byte[] json, long refreshAt) {}

    ServerKeyDocument(ServerKeyring keyring, KeysProperties properties, Clock clock) {
        this.keyring = keyring;
        this.properties = properties;
        this.clock = clock;
    }

    /** The current signed document. */
    public Map<String, Object> document() {
        return signed().document();
    }

    /** The current signed document as canonical JSON. */
    public byte[] json() {
        return signed().json();
    }

    private Signed signed() {
        long now = clock.millis();
        Signed s = cached;
        if (s == null || now >= s.refreshAt()) {
            synchronized (this) {
                s = cached;
                if (s == null || now >= s.refreshAt()) {
                    s = sign(now);
                    cached = s;
                }
            }
        }
        return s;
    }

    private Signed sign(long now) {
        long validity = properties.validity().toMillis();
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("server_name", keyring.serverName());
        doc.put("valid_until_ts", now + validity);
        doc.put("verify_keys", Map.of(keyring.signingKey().keyId(),
                Map.of("key", keyring.signingKey().verifyKey().base64())));
        Map<String, Object> old = new LinkedHashMap<>();
        keyring.oldKeys().forEach((id, k) -> old.put(id, Map.of("key", k.key().base64(), "expired_ts", k.expiredTs())));
        doc.put("old_verify_keys", old);
        Map<String, Object> signed = JsonSigning.sign(doc, keyring.serverName(), keyring.signingKey());
        return new Signed(signed, CanonicalJson.encode(signed), now + validity / 2);
    }
}
