package org.vestibule.profile;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.vestibule.accounts.AccountService;
import org.vestibule.accounts.ClientUser;
import org.vestibule.auth.StateKey;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Identifiers;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.federation.outbound.FederationClient;
import org.vestibule.federation.outbound.FederationErrorResponseException;
import org.vestibule.federation.outbound.FederationException;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.room.EventGraph;
import org.vestibule.room.LocalEvents;
import org.vestibule.room.RoomMemberships;

/**
 * Users' displayname and avatar (spec client-server §Profiles, server-server §Querying for
 * information): ours from the users table, others' with {@code query/profile}. A change is carried
 * into the user's member events in every room they are joined to (spec §Events on Change of
 * Profile Information), as Synapse does.
 */
@Service
public class Profiles {

    private static final Logger log = LoggerFactory.getLogger(Profiles.class);

    public static final String DISPLAYNAME = "displayname";
    public static final String AVATAR_URL = "avatar_url";
    /** The fields this server stores; others are refused on PUT and absent on GET. */
    public static final List<String> FIELDS = List.of(DISPLAYNAME, AVATAR_URL);
    // Spec profile.yaml: avatar_url, displayname, m.tz, or a namespaced custom key.
    private static final Pattern KEY = Pattern.compile("avatar_url|displayname|m\\.tz|[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+");
    // Synapse's limits.
    static final int MAX_DISPLAYNAME = 256;
    static final int MAX_AVATAR_URL = 1000;

    private final AccountService accounts;
    private final ServerKeyring keyring;
    private final FederationClient client;
    private final RoomMemberships memberships;
    private final EventGraph graph;
    private final LocalEvents localEvents;
    // Two changes of one user at once would interleave their member events room by room, leaving
    // the rooms showing one value and the profile the other. Striped: the users share 64 locks.
    private final ReentrantLock[] changes = new ReentrantLock[64];

    Profiles(AccountService accounts, ServerKeyring keyring, FederationClient client, RoomMemberships memberships,
             EventGraph graph, LocalEvents localEvents) {
        this.accounts = accounts;
        this.keyring = keyring;
        this.client = client;
        this.memberships = memberships;
        this.graph = graph;
        this.localEvents = localEvents;
        for (int i = 0; i < changes.length; i++) {
            changes[i] = new ReentrantLock();
        }
    }

    /** {@code GET /profile/{userId}}: the fields that are set. */
    public Map<String, Object> profile(String userId) {
        requireUserId(userId);
        if (isLocal(userId)) {
            return localProfile(userId);
        }
        return remote(userId, null);
    }

    /** {@code GET /profile/{userId}/{key}}: 404 M_NOT_FOUND for an unknown user or an unset field. */
    public Map<String, Object> field(String userId, String key) {
        requireUserId(userId);
        requireKey(key);
        Map<String, Object> profile = isLocal(userId) ? localProfile(userId) : remote(userId, key);
        Object value = profile.get(key);
        if (value == null) {
            throw MatrixException.notFound(userId + " has no " + key + " set");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put(key, value);
        return out;
    }

    /**
     * {@code PUT /profile/{userId}/{key}} (or DELETE, with a null value): a user's own displayname
     * or avatar_url (server admins may set anyone's). An empty string clears the field.
     */
    public void set(ClientUser user, String userId, String key, Object value) {
        requireUserId(userId);
        requireKey(key);
        if (!userId.equals(user.userId()) && !(user.admin() && isLocal(userId))) {
            throw MatrixException.forbidden("You may only change your own profile");
        }
        if (!isLocal(userId) || !accounts.exists(userId)) {
            throw MatrixException.notFound("No user " + userId + " on this server");
        }
        if (!FIELDS.contains(key)) {
            if (value == null) {
                return; // deleting a field that cannot exist here
            }
            throw MatrixException.forbidden("This server only stores " + FIELDS + "; '" + key + "' cannot be set");
        }
        if (value != null && !(value instanceof String)) {
            throw MatrixException.badJson("'" + key + "' must be a string");
        }
        String v = value == null || ((String) value).isEmpty() ? null : (String) value;
        ReentrantLock lock = changes[Math.floorMod(userId.hashCode(), changes.length)];
        lock.lock();
        try {
            change(userId, key, v);
        } finally {
            lock.unlock();
        }
    }

    /** Stores one field and carries it into the member events: one change of a user at a time. */
    private void change(String userId, String key, String v) {
        if (DISPLAYNAME.equals(key)) {
            if (v != null && v.length() > MAX_DISPLAYNAME) {
                throw MatrixException.invalidParam("A displayname may be at most " + MAX_DISPLAYNAME + " characters");
            }
            if (Objects.equals(v, accounts.displayname(userId).orElse(null))) {
                return;
            }
            accounts.setDisplayname(userId, v);
        } else {
            if (v != null && (v.length() > MAX_AVATAR_URL || !v.startsWith("mxc://"))) {
                throw MatrixException.invalidParam("avatar_url must be an mxc:// URI of at most " + MAX_AVATAR_URL
                        + " characters");
            }
            if (Objects.equals(v, accounts.avatarUrl(userId).orElse(null))) {
                return;
            }
            accounts.setAvatarUrl(userId, v);
        }
        updateMemberEvents(userId, key, v);
    }

    /** What {@code query/profile} answers about one of our users: only {@code field} when given. */
    public Map<String, Object> forFederation(String userId, String field) {
        if (!Identifiers.isUserId(userId)) {
            throw MatrixException.invalidParam("'" + userId + "' is not a user ID");
        }
        if (!isLocal(userId)) {
            throw MatrixException.invalidParam(userId + " is not a user of this server");
        }
        Map<String, Object> profile = localProfile(userId);
        if (field == null) {
            return profile;
        }
        if (!FIELDS.contains(field)) {
            throw MatrixException.notFound("This server keeps no '" + field + "' profile field");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        if (profile.get(field) != null) {
            out.put(field, profile.get(field));
        }
        return out;
    }

    private Map<String, Object> localProfile(String userId) {
        if (!accounts.exists(userId)) {
            throw MatrixException.notFound("No user " + userId + " on this server");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        accounts.displayname(userId).ifPresent(d -> out.put(DISPLAYNAME, d));
        accounts.avatarUrl(userId).ifPresent(a -> out.put(AVATAR_URL, a));
        return out;
    }

    /** Asks the user's server; its 404 and 403 pass through, anything else is 502. */
    private Map<String, Object> remote(String userId, String field) {
        String server = Identifiers.serverOf(userId).orElseThrow();
        String path = "/_matrix/federation/v1/query/profile?user_id=" + FederationClient.pathSegment(userId)
                + (field == null ? "" : "&field=" + FederationClient.pathSegment(field));
        try {
            Map<String, Object> answer = client.get(server, path).object();
            Map<String, Object> out = new LinkedHashMap<>();
            answer.forEach((k, v) -> {
                if (v != null && (field == null || field.equals(k))) {
                    out.put(k, v);
                }
            });
            return out;
        } catch (FederationErrorResponseException e) {
            if (e.status() == 404 || e.status() == 403) {
                throw new MatrixException(e.status(), e.status() == 404 ? Errcode.NOT_FOUND : Errcode.FORBIDDEN,
                        server + " answered: " + (e.error() == null ? e.status() : e.error()));
            }
            throw new MatrixException(502, Errcode.UNKNOWN, "Could not get " + userId + "'s profile: " + e.getMessage());
        } catch (FederationException e) {
            throw new MatrixException(502, Errcode.UNKNOWN, "Could not get " + userId + "'s profile: " + e.getMessage());
        }
    }

    /** A join → join member event with the new field in each room the user is joined to. */
    private void updateMemberEvents(String userId, String key, String value) {
        for (String roomId : memberships.roomsOf(userId, "join")) {
            try {
                Pdu current = graph.stateEvents(localEvents.snapshot(roomId).state(), List.of(StateKey.member(userId)))
                        .get(StateKey.member(userId));
                if (current == null || !"join".equals(current.membership().orElse(null))) {
                    continue;
                }
                Map<String, Object> content = Json.mutableCopy(current.content());
                content.remove("join_authorised_via_users_server");
                if (Objects.equals(content.get(key), value)) {
                    continue;
                }
                if (value == null) {
                    content.remove(key);
                } else {
                    content.put(key, value);
                }
                localEvents.send(roomId, userId, "m.room.member", userId, content);
            } catch (RuntimeException e) {
                log.info("Could not update {}'s member event in {} after a profile change: {}", userId, roomId, e.toString());
            }
        }
    }

    private boolean isLocal(String userId) {
        return keyring.isOurs(Identifiers.serverOf(userId).orElse(""));
    }

    private static void requireUserId(String userId) {
        if (!Identifiers.isUserId(userId)) {
            throw MatrixException.invalidParam("'" + userId + "' is not a user ID");
        }
    }

    private static void requireKey(String key) {
        if (!KEY.matcher(key).matches() || Identifiers.byteLength(key) > 255) {
            throw MatrixException.invalidParam("'" + key + "' is not a valid profile field name");
        }
    }
}
