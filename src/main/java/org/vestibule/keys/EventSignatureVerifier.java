package org.vestibule.keys;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.springframework.stereotype.Component;
import org.vestibule.event.EventSigning;
import org.vestibule.event.Identifiers;
import org.vestibule.event.Json;
import org.vestibule.event.KeyIds;
import org.vestibule.event.Pdu;
import org.vestibule.event.VerifyKey;

/**
 * Checks the signatures an event needs (spec server-server §Validating hashes and signatures on
 * received events): its sender's server; in room versions 1–2 also the event ID's server; and the
 * authorising server named by join_authorised_via_users_server (auth rule 4.2).
 */
@Component
public class EventSignatureVerifier {

    /** The outcome of checking an event's signatures. */
    public sealed interface Result {
        record Valid() implements Result {}

        record Invalid(String server, String reason) implements Result {}
    }

    private static final Result VALID = new Result.Valid();

    private final KeyResolver keys;

    EventSignatureVerifier(KeyResolver keys) {
        this.keys = keys;
    }

    /** The servers whose signatures the event must carry. */
    public static Set<String> requiredServers(Pdu pdu) {
        Set<String> servers = new LinkedHashSet<>();
        servers.add(pdu.senderServer());
        if (pdu.roomVersion().hasExplicitEventIds()) {
            Identifiers.serverOf(pdu.eventId()).ifPresent(servers::add);
        }
        if ("m.room.member".equals(pdu.type()) && pdu.roomVersion().restricted()) {
            Json.string(pdu.content(), "join_authorised_via_users_server")
                    .flatMap(Identifiers::serverOf).ifPresent(servers::add);
        }
        return servers;
    }

    /** Checks every required signature. */
    public Result verify(Pdu pdu) {
        return verify(pdu, requiredServers(pdu));
    }

    /**
     * Checks every required signature of an event {@code peer} sent us; the peer may vouch for
     * keys of our own name that we no longer hold (see {@link KeyResolver#key(String, String, long, String)}).
     */
    public Result verify(Pdu pdu, String peer) {
        return verify(pdu, requiredServers(pdu), peer);
    }

    /** Checks the signatures of the given servers. */
    public Result verify(Pdu pdu, Set<String> servers) {
        return verify(pdu, servers, null);
    }

    private Result verify(Pdu pdu, Set<String> servers, String peer) {
        for (String server : servers) {
            Result r = verifyServer(pdu, server, peer);
            if (!(r instanceof Result.Valid)) {
                return r;
            }
        }
        return VALID;
    }

    private Result verifyServer(Pdu pdu, String server, String peer) {
        Map<String, Object> byServer = Json.object(Json.object(pdu.json(), "signatures"), server);
        if (byServer.isEmpty()) {
            return new Result.Invalid(server, "the event carries no signature from " + server);
        }
        long validAt = pdu.roomVersion().enforceKeyValidity() ? pdu.originServerTs() : 0;
        String lastProblem = "no signature by a known ed25519 key of " + server;
        for (String keyId : byServer.keySet()) {
            if (!KeyIds.isEd25519(keyId)) {
                continue; // unknown algorithms are skipped
            }
            Optional<VerifyKey> key = keys.key(server, keyId, validAt, peer);
            if (key.isEmpty()) {
                lastProblem = "key " + keyId + " of " + server + " is unknown or not valid at the event's time";
                continue;
            }
            if (EventSigning.verify(pdu, server, key.get())) {
                return VALID;
            }
            lastProblem = "the signature by " + server + "'s key " + keyId + " does not verify";
        }
        return new Result.Invalid(server, lastProblem);
    }
}
