package org.vestibule.join;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.federation.outbound.FederationErrorResponseException;
import org.vestibule.federation.outbound.FederationException;
import org.vestibule.federation.outbound.FederationResponse;

/**
 * Trying candidate servers in turn for make_join, make_knock, make_leave and their send_ steps:
 * move on after 404 M_NOT_FOUND, 400 M_UNABLE_TO_AUTHORISE_JOIN / M_UNABLE_TO_GRANT_JOIN, 5xx or
 * no answer; stop on any other 4xx, passing it to the client as the resident said it.
 */
final class Failover {

    private static final Logger log = LoggerFactory.getLogger(Failover.class);
    private static final Set<String> FAILOVER_ERRCODES = Set.of(Errcode.NOT_FOUND, Errcode.UNABLE_TO_AUTHORISE_JOIN,
            Errcode.UNABLE_TO_GRANT_JOIN, Errcode.CANNOT_ALLOW);

    private Failover() {}

    /** Thrown inside an attempt when we should move on to the next candidate. */
    static final class TryNext extends Exception {
        final JoinAttempt attempt;

        TryNext(JoinAttempt attempt) {
            super(attempt.toString(), null, false, false);
            this.attempt = attempt;
        }
    }

    @FunctionalInterface
    interface Call {
        FederationResponse run();
    }

    /** The whole exchange through one server: its result, or {@link TryNext} to move on. */
    @FunctionalInterface
    interface Via<T> {
        T attempt(String server) throws TryNext;
    }

    /**
     * Runs the exchange through each candidate but ourselves, in order and once each, until one
     * takes it: 404 when no other server was given, the combined refusal when every one failed.
     *
     * @param action what we are doing, for messages: "join", "knock on", "leave"
     */
    static <T> T throughFirst(String action, String roomId, Collection<String> candidates, String ourServer,
                              Via<T> via) {
        List<String> servers = new ArrayList<>(new LinkedHashSet<>(candidates));
        servers.remove(ourServer);
        if (servers.isEmpty()) {
            throw new MatrixException(404, Errcode.NOT_FOUND, "Cannot " + action + " " + roomId
                    + ": this server is not in it and no other server that is in it was given (add ?via=server)");
        }
        List<JoinAttempt> attempts = new ArrayList<>();
        for (String server : servers) {
            try {
                return via.attempt(server);
            } catch (TryNext next) {
                log.info("Could not {} {} via {}, trying the next server: {}", action, roomId, server, next.attempt);
                attempts.add(next.attempt);
            }
        }
        throw allFailed(action, roomId, attempts);
    }

    /**
     * Runs one request and returns its JSON answer, or throws {@link TryNext} when the next
     * candidate should be tried, or the {@link MatrixException} to give the client.
     *
     * @param action what we are doing, for messages: "join", "knock", "leave"
     */
    static Object call(String server, String step, String action, Call call) throws TryNext {
        try {
            return call.run().json();
        } catch (FederationErrorResponseException e) {
            boolean failover = e.status() >= 500 || (e.status() < 500 && FAILOVER_ERRCODES.contains(e.errcode()))
                    || e.errcode() == null && e.status() == 404;
            JoinAttempt attempt = new JoinAttempt(server, step, e.status(), e.errcode(), e.error());
            if (failover) {
                throw new TryNext(attempt);
            }
            // A definite refusal (403 above all): pass it on to the client as the resident said it.
            Map<String, Object> extra = new HashMap<>();
            if (e.json() != null && e.json().get("room_version") instanceof String v) {
                extra.put("room_version", v);
            }
            throw new MatrixException(e.status(), e.errcode() == null ? Errcode.UNKNOWN : e.errcode(),
                    server + " refused the " + action + ": " + (e.error() == null ? "status " + e.status() : e.error()),
                    extra);
        } catch (FederationException e) {
            throw new TryNext(new JoinAttempt(server, step, 0, null, e.getMessage()));
        } catch (MatrixException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new TryNext(new JoinAttempt(server, step, 0, null, "bad answer: " + e.getMessage()));
        }
    }

    /** {@link #call} for answers that must be JSON objects. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> object(String server, String step, String action, Call call) throws TryNext {
        Object json = call(server, step, action, call);
        if (!(json instanceof Map<?, ?>)) {
            throw new TryNext(new JoinAttempt(server, step, 200, null, "the answer is not a JSON object"));
        }
        return (Map<String, Object>) json;
    }

    /** Every candidate failed: answer with the most telling of their answers, and list them all. */
    static MatrixException allFailed(String action, String roomId, List<JoinAttempt> attempts) {
        JoinAttempt best = null;
        for (JoinAttempt a : attempts) {
            if (rank(a) > (best == null ? -1 : rank(best))) {
                best = a;
            }
        }
        StringBuilder message = new StringBuilder("Could not " + action + " " + roomId + " through any server: ");
        for (int i = 0; i < attempts.size(); i++) {
            message.append(i == 0 ? "" : "; ").append(attempts.get(i));
        }
        if (best != null && best.status() >= 400 && best.status() < 500 && best.errcode() != null) {
            return new MatrixException(best.status(), best.errcode(), message.toString());
        }
        return new MatrixException(502, Errcode.UNKNOWN, message.toString());
    }

    private static int rank(JoinAttempt a) {
        if (a.status() == 400 && a.errcode() != null) {
            return 3;
        }
        if (a.status() == 404) {
            return 2;
        }
        return a.status() == 0 ? 0 : 1;
    }
}
