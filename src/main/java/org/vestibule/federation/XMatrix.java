package org.vestibule.federation;

import java.util.LinkedHashMap;
import java.util.Map;
import org.vestibule.event.JsonSigning;
import org.vestibule.event.SigningKey;

/**
 * The X-Matrix request signature (spec server-server §Request Authentication): what is signed and
 * how the Authorization header carries it. Shared by the inbound check and the outbound client.
 */
public final class XMatrix {

    private XMatrix() {}

    /**
     * The object whose signature authenticates a request.
     *
     * @param uri     the request target exactly as sent: raw path, and {@code ?} plus the raw query
     *                if there is one
     * @param content the JSON-parsed body, or null when there is none (then it is left out)
     */
    public static Map<String, Object> requestJson(String method, String uri, String origin, String destination,
                                                  Object content) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("method", method);
        json.put("uri", uri);
        json.put("origin", origin);
        json.put("destination", destination);
        if (content != null) {
            json.put("content", content);
        }
        return json;
    }

    /** The Authorization header value for a request signed by {@code origin} with {@code key}. */
    public static String sign(SigningKey key, String method, String uri, String origin, String destination,
                              Object content) {
        String signature = JsonSigning.signature(requestJson(method, uri, origin, destination, content), key);
        return authorization(origin, destination, key.keyId(), signature);
    }

    /** Formats the header as the spec asks senders to: one space, lower-case names, quoted values, no spaces. */
    public static String authorization(String origin, String destination, String keyId, String signature) {
        return "X-Matrix origin=" + quote(origin) + ",destination=" + quote(destination) + ",key=" + quote(keyId)
                + ",sig=" + quote(signature);
    }

    private static String quote(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
