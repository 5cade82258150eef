package org.vestibule.federation.inbound;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.event.JsonSigning;
import org.vestibule.event.KeyIds;
import org.vestibule.event.StrictJsonParser;
import org.vestibule.federation.XMatrix;
import org.vestibule.keys.RemoteServerKeys;
import org.vestibule.keys.RemoteServerKeys.Found;
import org.vestibule.keys.RemoteServerKeys.KeyLookup;
import org.vestibule.keys.RemoteServerKeys.NotFound;

/**
 * Checks a request's X-Matrix signature (spec server-server §Request Authentication) over its
 * method, raw target, origin, our server name and JSON-parsed body, with the origin's key valid
 * now. Any one valid X-Matrix header is enough. Failures are 401 M_UNAUTHORIZED saying which part
 * failed; an unparseable body is 400 M_NOT_JSON, an oversized one 413 M_TOO_LARGE.
 */
final class XMatrixAuthenticator {

    private final Supplier<RemoteServerKeys> keys;
    private final String serverName;
    private final Clock clock;
    private final StrictJsonParser.Limits bodyLimits;

    XMatrixAuthenticator(Supplier<RemoteServerKeys> keys, String serverName, Clock clock, int maxBodyBytes) {
        this.keys = keys;
        this.serverName = serverName;
        this.clock = clock;
        this.bodyLimits = new StrictJsonParser.Limits(maxBodyBytes, StrictJsonParser.Limits.REQUEST.maxDepth());
    }

    /**
     * @param uri                  the raw request target: path and, if present, {@code ?} and the raw query
     * @param authorizationHeaders every Authorization header of the request
     * @param body                 the request body (read only once the headers look right)
     */
    Origin authenticate(String method, String uri, List<String> authorizationHeaders, Supplier<byte[]> body) {
        List<XMatrixHeader.Credentials> candidates = new ArrayList<>();
        String problem = null;
        for (String header : authorizationHeaders) {
            if (!XMatrixHeader.isXMatrix(header)) {
                continue;
            }
            try {
                XMatrixHeader.Credentials credentials = XMatrixHeader.parse(header);
                if (credentials.destination() != null && !credentials.destination().equals(serverName)) {
                    problem = first(problem, "The X-Matrix destination '" + credentials.destination()
                            + "' is not this server (" + serverName + ")");
                } else if (!KeyIds.isEd25519(credentials.keyId())) {
                    problem = first(problem, "The X-Matrix key '" + credentials.keyId() + "' is not an ed25519 key ID");
                } else {
                    candidates.add(credentials);
                }
            } catch (XMatrixHeader.MalformedException e) {
                problem = first(problem, "Malformed X-Matrix Authorization header: " + e.getMessage());
            }
        }
        if (candidates.isEmpty()) {
            throw unauthorized(problem != null ? problem : "Missing X-Matrix Authorization header");
        }
        byte[] bytes = body.get();
        // Malformed JSON propagates as MalformedJsonException, which the error handler answers with 400 M_NOT_JSON.
        Object content = bytes.length == 0 ? null : StrictJsonParser.parse(bytes, bodyLimits);
        long now = clock.millis();
        for (XMatrixHeader.Credentials c : candidates) {
            KeyLookup lookup = keys.get().lookup(c.origin(), c.keyId(), now);
            if (lookup instanceof Found found) {
                if (verifies(found, c, method, uri, content)
                        // The servlet API cannot tell "/path?" from "/path": accept a signature over either.
                        || (uri.indexOf('?') < 0 && verifies(found, c, method, uri + "?", content))) {
                    return new Origin(c.origin());
                }
                problem = first(problem, "Invalid X-Matrix signature by " + c.origin() + " with " + c.keyId()
                        + " over " + method + " " + uri);
            } else if (lookup instanceof NotFound notFound) {
                problem = first(problem, "Unknown key " + c.keyId() + " of " + c.origin() + ": " + notFound.reason());
            } else {
                problem = first(problem, "Could not get the keys of " + c.origin() + ": "
                        + ((RemoteServerKeys.Unreachable) lookup).reason());
            }
        }
        throw unauthorized(problem);
    }

    private boolean verifies(Found found, XMatrixHeader.Credentials c, String method, String uri, Object content) {
        byte[] signed = JsonSigning.signedBytes(XMatrix.requestJson(method, uri, c.origin(), serverName, content));
        return JsonSigning.verifySignature(signed, c.signature(), found.key());
    }

    private static String first(String existing, String next) {
        return existing != null ? existing : next;
    }

    private static MatrixException unauthorized(String message) {
        return new MatrixException(401, Errcode.UNAUTHORIZED, message);
    }
}
