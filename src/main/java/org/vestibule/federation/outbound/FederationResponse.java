package org.vestibule.federation.outbound;

import java.util.Map;

/**
 * A 2xx answer from a peer.
 *
 * @param destination the server name the request went to
 * @param status      the HTTP status
 * @param body        the raw body
 * @param json        the body as parsed by the strict parser: usually a {@code Map<String,Object>};
 *                    a {@code List} for the legacy v1 endpoints that answer {@code [200, {...}]}
 */
public record FederationResponse(String destination, int status, byte[] body, Object json) {

    /** The body as a JSON object; when it is not one the peer broke the protocol, so we treat it as unreachable. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> object() {
        if (json instanceof Map<?, ?> map) {
            return (Map<String, Object>) map;
        }
        throw new FederationUnreachableException(destination, destination + " answered JSON that is not an object", null);
    }
}
