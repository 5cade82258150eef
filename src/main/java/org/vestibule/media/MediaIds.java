package org.vestibule.media;

import java.security.SecureRandom;
import java.util.regex.Pattern;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Identifiers;

/**
 * Media IDs and the server names of {@code mxc://} URIs, checked before they reach a path or a
 * query (spec client-server §Security considerations: server names as the appendix defines them,
 * media IDs of {@code A-Za-z0-9_-} only).
 */
final class MediaIds {

    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_-]{1,255}");
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    /** 24 characters of 62: 142 bits, not guessable. */
    private static final int LENGTH = 24;
    private static final SecureRandom RANDOM = new SecureRandom();

    private MediaIds() {}

    static String random() {
        StringBuilder id = new StringBuilder(LENGTH);
        for (int i = 0; i < LENGTH; i++) {
            id.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return id.toString();
    }

    /** 400 M_INVALID_PARAM unless both are well-formed. */
    static void require(String serverName, String mediaId) {
        if (!Identifiers.isServerName(serverName)) {
            throw MatrixException.invalidParam("'" + serverName + "' is not a server name");
        }
        requireMediaId(mediaId);
    }

    static void requireMediaId(String mediaId) {
        if (!VALID.matcher(mediaId).matches()) {
            throw MatrixException.invalidParam("'" + mediaId + "' is not a media ID: media IDs are 1 to 255 letters, "
                    + "digits, '_' and '-'");
        }
    }
}
