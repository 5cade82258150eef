package org.vestibule.keys;

import java.util.List;
import java.util.Map;

/**
 * Fetches a server's own key document, {@code GET /_matrix/key/v2/server} (spec server-server
 * §Retrieving server keys). The federation client implements it, so that keys sits below the
 * transport that signs and verifies with them.
 */
public interface KeyDocumentFetcher {

    /** The document as parsed, unchecked; {@link Unreachable} when the server gave no usable answer. */
    Map<String, Object> fetch(String serverName);

    /**
     * A notary's documents of another server's key ({@code POST /_matrix/key/v2/query}, spec
     * §Querying keys through another server), as parsed, unchecked; {@link Unreachable} when the
     * notary gave no usable answer.
     */
    List<Map<String, Object>> fetchFromNotary(String notary, String serverName, String keyId, long minimumValidUntilTs);

    /** No usable answer: the message says what happened, for logs and for the key query's failures. */
    final class Unreachable extends RuntimeException {
        public Unreachable(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
