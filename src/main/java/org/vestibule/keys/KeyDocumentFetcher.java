package org.vestibule.keys;

import java.util.Map;

/**
 * Fetches a server's own key document, {@code GET /_matrix/key/v2/server} (spec server-server
 * §Retrieving server keys). The federation client implements it, so that keys sits below the
 * transport that signs and verifies with them.
 */
@FunctionalInterface
public interface KeyDocumentFetcher {

    /** The document as parsed, unchecked; {@link Unreachable} when the server gave no usable answer. */
    Map<String, Object> fetch(String serverName);

    /** No usable answer: the message says what happened, for logs and for the key query's failures. */
    final class Unreachable extends RuntimeException {
        public Unreachable(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
