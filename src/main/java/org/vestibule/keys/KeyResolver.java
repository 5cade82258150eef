package org.vestibule.keys;

import java.util.Optional;
import org.vestibule.event.VerifyKey;

/** Finds a server's verify key, from memory, the database or the server itself. */
public interface KeyResolver {

    /**
     * The key, if the server has (or had) it and it is valid at {@code validAtTs} (0: any time,
     * as for room versions 1–4, where key validity is not enforced).
     */
    Optional<VerifyKey> key(String server, String keyId, long validAtTs);

    /**
     * Like {@link #key(String, String, long)}, for what {@code peer} sent us: a key of our own
     * name that we no longer hold (lost with a wiped database) may be vouched for by that peer.
     */
    Optional<VerifyKey> key(String server, String keyId, long validAtTs, String peer);
}
