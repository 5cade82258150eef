package org.vestibule.auth;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.vestibule.event.Identifiers;
import org.vestibule.event.JsonSigning;
import org.vestibule.event.KeyIds;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.event.RoomVersions;
import org.vestibule.event.UnpaddedBase64;
import org.vestibule.event.VerifyKey;

/**
 * The authorization rules of room versions 1–12 (spec rooms/v1 … v12 §Authorisation rules).
 *
 * <p>Rule numbers in results are those of the event's room version, which differ between
 * versions: the member rules are 5 in v1–v5 (after the m.room.aliases rule 4), 4 in v6–v11 and 5
 * in v12 (after the new room ID rule 2).
 *
 * <p>Signatures are verified before these rules run (elsewhere). Here an event counts as signed
 * by a server when its {@code signatures} has an entry for that server.
 *
 * <p>Where Synapse (element-hq/synapse {@code event_auth.py}) departs from the spec text, we follow
 * the spec; each such place says so in a comment.
 */
public final class AuthRules {

    static final String MEMBER = AuthEventSelection.MEMBER;
    static final String CREATE = AuthEventSelection.CREATE;
    static final String POWER_LEVELS = "m.room.power_levels";
    static final String JOIN_RULES = "m.room.join_rules";
    static final String THIRD_PARTY_INVITE = AuthEventSelection.THIRD_PARTY_INVITE;
    static final String ALIASES = "m.room.aliases";
    static final String REDACTION = "m.room.redaction";
    static final String AUTHORISER = AuthEventSelection.AUTHORISER;

    private AuthRules() {}

    /**
     * Checks an event against the room version's authorization rules.
     *
     * @param event the event
     * @param state the state to check against: the event's auth events keyed by their slot, or
     *              the room state before the event. It must hold the create event under
     *              {@link StateKey#CREATE}, also in room version 12 where auth_events doesn't.
     * @return {@link AuthResult#ALLOWED}, or a rejection naming the rule and what broke it
     */
    public static AuthResult check(Pdu event, Map<StateKey, Pdu> state) {
        RoomVersion v = event.roomVersion();
        Numbering n = Numbering.of(v);

        AuthResult signed = checkSignedBySender(event);
        if (!signed.allowed()) {
            return signed;
        }
        // Rule 1 applies to every m.room.create event, whatever its state_key, as the spec words it.
        if (CREATE.equals(event.type())) {
            return checkCreate(event, n);
        }
        Pdu create = state.get(StateKey.CREATE);
        if (v.roomIdIsCreateEventHash()) {
            // v12 rule 2. "Accepted (not rejected)" is the caller's job, as for every auth event.
            if (create == null) {
                return AuthResult.reject("2 room ID is the create event",
                        "the room's m.room.create event is not in the state the event is checked against");
            }
            String expected = "!" + create.eventId().substring(1);
            if (!expected.equals(event.roomId())) {
                return AuthResult.reject("2 room ID is the create event", "room_id " + event.roomId()
                        + " is not the ID of the create event " + create.eventId() + " (expected " + expected + ")");
            }
        } else if (create == null) {
            return AuthResult.reject(n.authEvents + ".4 create event in auth events",
                    "no m.room.create event in the state the event is checked against");
        }

        // Rule 3 (v12: 4). Synapse also refuses member events whose *target* is on another server;
        // the spec only looks at the sender, and so do we.
        if (Boolean.FALSE.equals(create.content().get("m.federate"))) {
            String senderServer = serverOf(event.sender());
            String creatorServer = serverOf(create.sender());
            if (!senderServer.equals(creatorServer)) {
                return AuthResult.reject(n.federate + " m.federate", "the room is not federated (m.federate is false)"
                        + " and the sender's server " + senderServer + " is not the creator's server " + creatorServer);
            }
        }

        if (v.aliasesAuthRule() && ALIASES.equals(event.type())) {
            return checkAliases(event);
        }

        PowerLevels levels = PowerLevels.fromState(v, state);
        if (MEMBER.equals(event.type())) {
            return checkMember(event, state, create, levels, n);
        }

        String sender = event.sender();
        String senderMembership = membership(state, sender);
        if (!"join".equals(senderMembership)) {
            return AuthResult.reject(n.joined + " sender joined", sender + " is not joined"
                    + describeMembership(senderMembership));
        }

        long senderLevel = levels.userLevel(sender);
        if (THIRD_PARTY_INVITE.equals(event.type())) {
            if (senderLevel >= levels.invite()) {
                return AuthResult.ALLOWED;
            }
            return AuthResult.reject(n.thirdPartyInvite + " third-party invite level",
                    powerOf(sender, senderLevel) + " is below the invite level " + levels.invite());
        }

        long required = levels.eventLevel(event.type(), event.isState());
        if (required > senderLevel) {
            return AuthResult.reject(n.required + " required power level", powerOf(sender, senderLevel)
                    + " is below the level " + required + " needed to send " + event.type()
                    + (event.isState() ? " state events" : " events"));
        }

        String stateKey = event.stateKey();
        if (stateKey != null && stateKey.startsWith("@") && !stateKey.equals(sender)) {
            return AuthResult.reject(n.userStateKey + " state_key of another user", "the state_key " + stateKey
                    + " starts with @ and is not the sender " + sender);
        }

        if (POWER_LEVELS.equals(event.type())) {
            AuthResult pl = checkPowerLevels(event, state, levels, n);
            if (!pl.allowed()) {
                return pl;
            }
        }

        if (v.redactionAuthRule() && REDACTION.equals(event.type())) {
            return checkRedactionV1(event, levels, senderLevel, n);
        }
        return AuthResult.ALLOWED;
    }

    /**
     * Checks the rules about an event's {@code auth_events} list itself (v1–v11 rule 2, v12 rule 3):
     * no two entries for one slot; only slots {@link AuthEventSelection} allows for this event;
     * the create event present (v1–v11) or absent (v12); every entry in the event's room.
     *
     * <p>The caller passes the events the event's {@code auth_events} name, and must itself refuse
     * the event when any of them was rejected (rule 2.3 / 3.3), since rejection is not part of
     * the event. An m.room.create event passes: rule 1 decides it before the auth events rule.
     */
    public static AuthResult checkAuthEventsList(Pdu event, List<Pdu> authEvents) {
        RoomVersion v = event.roomVersion();
        Numbering n = Numbering.of(v);
        if (CREATE.equals(event.type())) {
            return AuthResult.ALLOWED;
        }
        Map<StateKey, Pdu> seen = new HashMap<>();
        for (Pdu auth : authEvents) {
            if (!auth.isState()) {
                return AuthResult.reject(n.authEvents + ".2 auth events selection", "auth event " + auth.eventId()
                        + " (" + auth.type() + ") is not a state event");
            }
            StateKey key = StateKey.of(auth);
            Pdu earlier = seen.putIfAbsent(key, auth);
            if (earlier != null) {
                return AuthResult.reject(n.authEvents + ".1 no duplicate auth events", "auth_events lists two events for "
                        + key + ": " + earlier.eventId() + " and " + auth.eventId());
            }
        }
        Set<StateKey> allowed = new LinkedHashSet<>(AuthEventSelection.select(event));
        for (Pdu auth : authEvents) {
            StateKey key = StateKey.of(auth);
            if (!allowed.contains(key)) {
                if (v.roomIdIsCreateEventHash() && key.equals(StateKey.CREATE)) {
                    return AuthResult.reject(n.authEvents + ".2 auth events selection", "auth_events lists the create event "
                            + auth.eventId() + ", which room version " + v.id() + " forbids (the room ID names it)");
                }
                return AuthResult.reject(n.authEvents + ".2 auth events selection", "auth event " + auth.eventId() + " fills "
                        + key + ", which is not selected for " + describeShape(event) + "; allowed: " + allowed);
            }
        }
        if (!v.roomIdIsCreateEventHash() && !seen.containsKey(StateKey.CREATE)) {
            return AuthResult.reject("2.4 create event in auth events", "auth_events does not include the m.room.create event");
        }
        for (Pdu auth : authEvents) {
            if (!event.roomId().equals(auth.roomId())) {
                return AuthResult.reject(n.authEvents + ".5 auth events in the same room", "auth event " + auth.eventId()
                        + " is in room " + auth.roomId() + ", not " + event.roomId());
            }
        }
        return AuthResult.ALLOWED;
    }

    // ---- preamble and rule 1 ------------------------------------------------------------------

    /**
     * "Events must be signed by the server denoted by the sender property", and in v1–v2 also by
     * the server of the event ID (rooms/v3: "In room versions 1 and 2, events need a signature from
     * the domain of the event_id"). Synapse waives the sender's signature for third-party invites;
     * the room version rules make no such exception, so we don't either.
     */
    private static AuthResult checkSignedBySender(Pdu event) {
        String server = serverOf(event.sender());
        if (!signedBy(event, server)) {
            return AuthResult.reject("signed by the sender's server", "the event carries no signature of "
                    + server + ", the server of its sender " + event.sender());
        }
        if (event.roomVersion().hasExplicitEventIds()) {
            String idServer = Identifiers.serverOf(event.eventId()).orElse(null);
            if (idServer == null || !signedBy(event, idServer)) {
                return AuthResult.reject("signed by the event ID's server", "the event carries no signature of "
                        + idServer + ", the server of its event ID " + event.eventId());
            }
        }
        return AuthResult.ALLOWED;
    }

    private static AuthResult checkCreate(Pdu event, Numbering n) {
        RoomVersion v = event.roomVersion();
        if (!event.prevEvents().isEmpty()) {
            return AuthResult.reject("1.1 create has no prev_events", "the create event lists "
                    + event.prevEvents().size() + " prev_events; it must have none");
        }
        if (v.roomIdIsCreateEventHash()) {
            if (event.json().containsKey("room_id")) {
                return AuthResult.reject("1.2 create has no room_id", "a room version " + v.id()
                        + " create event must not carry a room_id (the room ID is derived from its event ID)");
            }
        } else {
            String roomServer = Identifiers.serverOf(event.roomId()).orElse(null);
            String senderServer = serverOf(event.sender());
            if (!senderServer.equals(roomServer)) {
                return AuthResult.reject("1.2 room ID on the sender's server", "the room ID " + event.roomId()
                        + " is not on " + senderServer + ", the server of the sender " + event.sender());
            }
        }
        if (event.content().containsKey("room_version")) {
            Object rv = event.content().get("room_version");
            if (!(rv instanceof String id) || RoomVersions.byId(id).isEmpty()) {
                return AuthResult.reject("1.3 known room version", "content.room_version " + quote(rv)
                        + " is not a room version this server knows");
            }
        }
        if (!v.creatorIsSender() && !event.content().containsKey("creator")) {
            return AuthResult.reject("1.4 creator present", "the create event's content has no creator"
                    + " (required before room version 11)");
        }
        if (v.roomIdIsCreateEventHash() && event.content().containsKey("additional_creators")) {
            Object more = event.content().get("additional_creators");
            if (!(more instanceof List<?> list)) {
                return AuthResult.reject("1.4 valid additional_creators", "additional_creators is not an array");
            }
            for (Object entry : list) {
                if (!(entry instanceof String s) || !Identifiers.isUserId(s)) {
                    return AuthResult.reject("1.4 valid additional_creators", "additional_creators holds "
                            + quote(entry) + ", which is not a valid user ID");
                }
            }
        }
        return AuthResult.ALLOWED;
    }

    private static AuthResult checkAliases(Pdu event) {
        // v1–v5 rule 4: comes before the "sender is joined" rule, so servers may set aliases without a member.
        if (event.stateKey() == null) {
            return AuthResult.reject("4.1 aliases have a state_key", "an m.room.aliases event must be a state event");
        }
        String server = serverOf(event.sender());
        if (!server.equals(event.stateKey())) {
            return AuthResult.reject("4.2 aliases of the sender's server", "the state_key " + quote(event.stateKey())
                    + " is not " + server + ", the server of the sender " + event.sender());
        }
        return AuthResult.ALLOWED;
    }

    // ---- m.room.member ------------------------------------------------------------------------

    private static AuthResult checkMember(Pdu event, Map<StateKey, Pdu> state, Pdu create, PowerLevels levels,
                                          Numbering n) {
        RoomVersion v = event.roomVersion();
        String m = n.member;
        String target = event.stateKey();
        Object membershipValue = event.content().get("membership");
        if (target == null) {
            return AuthResult.reject(m + ".1 state_key and membership", "the member event has no state_key");
        }
        if (membershipValue == null) {
            return AuthResult.reject(m + ".1 state_key and membership", "the member event's content has no membership");
        }
        // v8+ rule x.2 applies to every membership that carries the key, as the spec says; Synapse
        // only checks it on joins.
        if (v.restricted() && event.content().containsKey(AUTHORISER)) {
            Object authoriser = event.content().get(AUTHORISER);
            String server = authoriser instanceof String s ? Identifiers.parseUserId(s).map(u -> u.server()).orElse(null)
                    : null;
            if (server == null) {
                return AuthResult.reject(m + ".2 signed by the authorising server", AUTHORISER + " is "
                        + quote(authoriser) + ", not a user ID, so no server can have authorised the event");
            }
            if (!signedBy(event, server)) {
                return AuthResult.reject(m + ".2 signed by the authorising server", "the event is not signed by "
                        + server + ", the server of the authorising user " + authoriser);
            }
        }
        String membership = membershipValue instanceof String s ? s : null;
        if ("join".equals(membership)) {
            return checkJoin(event, state, create, levels, n);
        }
        if ("invite".equals(membership)) {
            return checkInvite(event, state, levels, n);
        }
        if ("leave".equals(membership)) {
            return checkLeave(event, state, levels, n);
        }
        if ("ban".equals(membership)) {
            return checkBan(event, state, levels, n);
        }
        if ("knock".equals(membership) && v.knock()) {
            return checkKnock(event, state, n);
        }
        return AuthResult.reject(m + "." + n.unknownMembership + " unknown membership", "membership "
                + quote(membershipValue) + " is not a membership of room version " + v.id());
    }

    private static AuthResult checkJoin(Pdu event, Map<StateKey, Pdu> state, Pdu create, PowerLevels levels,
                                        Numbering n) {
        RoomVersion v = event.roomVersion();
        String j = n.member + "." + n.join;
        String sender = event.sender();
        String target = event.stateKey();

        List<String> prev = event.prevEvents();
        if (prev.size() == 1 && prev.get(0).equals(create.eventId()) && target.equals(firstJoiner(create))) {
            return AuthResult.ALLOWED; // x.1: the creator's join right after the create event
        }
        if (!sender.equals(target)) {
            return AuthResult.reject(j + ".2 join by the user themself", sender + " cannot make " + target
                    + " join; a join's sender must be its state_key");
        }
        String current = membership(state, target);
        if ("ban".equals(current)) {
            return AuthResult.reject(j + ".3 banned user", target + " is banned from the room");
        }
        boolean invitedOrJoined = "invite".equals(current) || "join".equals(current);
        String joinRule = joinRule(state);
        if ("invite".equals(joinRule) || (v.knock() && "knock".equals(joinRule))) {
            if (invitedOrJoined) {
                return AuthResult.ALLOWED;
            }
            return AuthResult.reject(j + ".4 " + (v.knock() ? "invite or knock join rule" : "invite join rule"),
                    "join_rule is " + joinRule + " and " + target + " is not invited" + describeMembership(current));
        }
        if (v.isRestrictedJoinRule(joinRule)) {
            if (invitedOrJoined) {
                return AuthResult.ALLOWED;
            }
            String rule = j + ".5.2 restricted join";
            Object authoriserValue = event.content().get(AUTHORISER);
            if (!(authoriserValue instanceof String authoriser)) {
                return AuthResult.reject(rule, "join_rule is " + joinRule + ", " + target
                        + " is neither invited nor joined, and the join names no authorising user ("
                        + AUTHORISER + (authoriserValue == null ? " is missing)" : " is " + quote(authoriserValue) + ")"));
            }
            String authoriserMembership = membership(state, authoriser);
            if (!"join".equals(authoriserMembership)) {
                return AuthResult.reject(rule, "the authorising user " + authoriser + " is not joined"
                        + describeMembership(authoriserMembership));
            }
            long authoriserLevel = levels.userLevel(authoriser);
            if (authoriserLevel < levels.invite()) {
                return AuthResult.reject(rule, "the authorising user " + authoriser + " has power level "
                        + PowerLevels.describe(authoriserLevel) + ", below the invite level " + levels.invite());
            }
            return AuthResult.ALLOWED;
        }
        if ("public".equals(joinRule)) {
            return AuthResult.ALLOWED;
        }
        // Synapse reads a missing join rules event as "invite"; the spec has no default, so no
        // join rule admits the join.
        String why;
        if (joinRule == null) {
            why = "the room has no valid join_rule (m.room.join_rules " + (state.containsKey(StateKey.JOIN_RULES)
                    ? "has no string join_rule)" : "is missing)") + ", so nothing admits the join of " + target;
        } else if (isKnownJoinRule(joinRule) && !v.supportsJoinRule(joinRule)) {
            why = "join_rule " + joinRule + " does not exist in room version " + v.id() + ", so it admits nobody";
        } else {
            why = "join_rule " + joinRule + " admits no joins";
        }
        return AuthResult.reject(j + "." + n.joinOtherwise + " join rule", why);
    }

    private static AuthResult checkInvite(Pdu event, Map<StateKey, Pdu> state, PowerLevels levels, Numbering n) {
        String i = n.member + "." + (n.join + 1);
        String sender = event.sender();
        String target = event.stateKey();
        if (event.content().containsKey("third_party_invite")) {
            return checkThirdPartyInvite(event, state, i + ".1");
        }
        String senderMembership = membership(state, sender);
        if (!"join".equals(senderMembership)) {
            return AuthResult.reject(i + ".2 inviter joined", "the inviter " + sender + " is not joined"
                    + describeMembership(senderMembership));
        }
        String targetMembership = membership(state, target);
        if ("join".equals(targetMembership)) {
            return AuthResult.reject(i + ".3 invitee not joined or banned", target + " is already joined");
        }
        if ("ban".equals(targetMembership)) {
            return AuthResult.reject(i + ".3 invitee not joined or banned", target + " is banned");
        }
        long level = levels.userLevel(sender);
        if (level >= levels.invite()) {
            return AuthResult.ALLOWED;
        }
        return AuthResult.reject(i + ".4 invite level", powerOf(sender, level) + " is below the invite level "
                + levels.invite());
    }

    private static AuthResult checkThirdPartyInvite(Pdu event, Map<StateKey, Pdu> state, String t) {
        String target = event.stateKey();
        if ("ban".equals(membership(state, target))) {
            return AuthResult.reject(t + ".1 third-party invitee not banned", target + " is banned");
        }
        Object tpi = event.content().get("third_party_invite");
        Object signedValue = tpi instanceof Map<?, ?> m ? m.get("signed") : null;
        if (!(signedValue instanceof Map<?, ?> signed)) {
            return AuthResult.reject(t + ".2 third-party invite signed", "content.third_party_invite has no signed object");
        }
        if (!(signed.get("mxid") instanceof String mxid) || !(signed.get("token") instanceof String token)) {
            return AuthResult.reject(t + ".3 third-party invite mxid and token", "third_party_invite.signed lacks "
                    + (signed.get("mxid") instanceof String ? "a string token" : "a string mxid"));
        }
        if (!mxid.equals(target)) {
            return AuthResult.reject(t + ".4 third-party invite mxid", "third_party_invite.signed.mxid " + mxid
                    + " is not the invited user " + target);
        }
        Pdu invite = state.get(new StateKey(THIRD_PARTY_INVITE, token));
        if (invite == null) {
            return AuthResult.reject(t + ".5 third-party invite event", "no m.room.third_party_invite event with state_key "
                    + quote(token) + " is in the room state");
        }
        if (!event.sender().equals(invite.sender())) {
            return AuthResult.reject(t + ".6 third-party invite sender", "the invite's sender " + event.sender()
                    + " did not send the m.room.third_party_invite event (" + invite.sender() + " did)");
        }
        @SuppressWarnings("unchecked")
        Map<String, ?> signedObject = (Map<String, ?>) signed;
        if (signedByInviteKey(signedObject, invite)) {
            return AuthResult.ALLOWED;
        }
        return AuthResult.reject(t + ".7 third-party invite signature", "no signature in third_party_invite.signed"
                + " verifies with a public key of the m.room.third_party_invite event " + invite.eventId());
    }

    /** x.1.7: any ed25519 signature in {@code signed} verifies under any public key of the invite event. */
    private static boolean signedByInviteKey(Map<String, ?> signed, Pdu invite) {
        List<byte[]> keys = new ArrayList<>();
        addPublicKey(keys, invite.content().get("public_key"));
        if (invite.content().get("public_keys") instanceof List<?> list) {
            for (Object o : list) {
                if (o instanceof Map<?, ?> m) {
                    addPublicKey(keys, m.get("public_key"));
                }
            }
        }
        if (keys.isEmpty() || !(signed.get("signatures") instanceof Map<?, ?> byEntity)) {
            return false;
        }
        byte[] bytes = JsonSigning.signedBytes(signed);
        for (Object entitySignatures : byEntity.values()) {
            if (!(entitySignatures instanceof Map<?, ?> byKey)) {
                continue;
            }
            for (Map.Entry<?, ?> e : byKey.entrySet()) {
                if (!(e.getKey() instanceof String keyId) || !KeyIds.isEd25519(keyId)
                        || !(e.getValue() instanceof String signature)) {
                    continue;
                }
                for (byte[] key : keys) {
                    if (JsonSigning.verifySignature(bytes, signature, new VerifyKey(keyId, key))) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static void addPublicKey(List<byte[]> keys, Object value) {
        if (!(value instanceof String base64)) {
            return;
        }
        byte[] key;
        try {
            key = UnpaddedBase64.decode(base64);
        } catch (IllegalArgumentException e) {
            try {
                // Identity servers publish standard base64, but URL-safe keys exist in the wild.
                key = UnpaddedBase64.decodeUrlSafe(base64);
            } catch (IllegalArgumentException e2) {
                return;
            }
        }
        if (key.length == 32) {
            keys.add(key);
        }
    }

    private static AuthResult checkLeave(Pdu event, Map<StateKey, Pdu> state, PowerLevels levels, Numbering n) {
        RoomVersion v = event.roomVersion();
        String l = n.member + "." + (n.join + 2);
        String sender = event.sender();
        String target = event.stateKey();
        String senderMembership = membership(state, sender);
        if (sender.equals(target)) {
            boolean may = "invite".equals(senderMembership) || "join".equals(senderMembership)
                    || (v.knock() && "knock".equals(senderMembership));
            if (may) {
                return AuthResult.ALLOWED;
            }
            return AuthResult.reject(l + ".1 leaving oneself", sender + " cannot leave: only an invited"
                    + (v.knock() ? ", joined or knocking" : " or joined") + " user can, and " + sender
                    + (senderMembership == null ? " has no membership" : " is " + senderMembership));
        }
        if (!"join".equals(senderMembership)) {
            return AuthResult.reject(l + ".2 kicker joined", sender + " is not joined"
                    + describeMembership(senderMembership) + ", so cannot kick or unban " + target);
        }
        long senderLevel = levels.userLevel(sender);
        if ("ban".equals(membership(state, target)) && senderLevel < levels.ban()) {
            return AuthResult.reject(l + ".3 unban needs the ban level", powerOf(sender, senderLevel)
                    + " is below the ban level " + levels.ban() + " needed to unban " + target);
        }
        long targetLevel = levels.userLevel(target);
        if (senderLevel >= levels.kick() && targetLevel < senderLevel) {
            return AuthResult.ALLOWED;
        }
        return AuthResult.reject(l + ".4 kick level", senderLevel < levels.kick()
                ? powerOf(sender, senderLevel) + " is below the kick level " + levels.kick()
                : powerOf(sender, senderLevel) + " is not above " + target + "'s power level "
                        + PowerLevels.describe(targetLevel));
    }

    private static AuthResult checkBan(Pdu event, Map<StateKey, Pdu> state, PowerLevels levels, Numbering n) {
        String b = n.member + "." + (n.join + 3);
        String sender = event.sender();
        String target = event.stateKey();
        String senderMembership = membership(state, sender);
        if (!"join".equals(senderMembership)) {
            return AuthResult.reject(b + ".1 banner joined", sender + " is not joined"
                    + describeMembership(senderMembership) + ", so cannot ban " + target);
        }
        long senderLevel = levels.userLevel(sender);
        long targetLevel = levels.userLevel(target);
        if (senderLevel >= levels.ban() && targetLevel < senderLevel) {
            return AuthResult.ALLOWED;
        }
        return AuthResult.reject(b + ".2 ban level", senderLevel < levels.ban()
                ? powerOf(sender, senderLevel) + " is below the ban level " + levels.ban()
                : powerOf(sender, senderLevel) + " is not above " + target + "'s power level "
                        + PowerLevels.describe(targetLevel));
    }

    private static AuthResult checkKnock(Pdu event, Map<StateKey, Pdu> state, Numbering n) {
        RoomVersion v = event.roomVersion();
        String k = n.member + "." + (n.join + 4);
        String joinRule = joinRule(state);
        if (!v.isKnockJoinRule(joinRule)) {
            return AuthResult.reject(k + ".1 knock join rule", "join_rule is " + (joinRule == null ? "not set" : joinRule)
                    + "; knocking needs " + (v.knockRestricted() ? "knock or knock_restricted" : "knock"));
        }
        if (!event.sender().equals(event.stateKey())) {
            return AuthResult.reject(k + ".2 knock for oneself", event.sender() + " cannot knock for "
                    + event.stateKey());
        }
        String current = membership(state, event.sender());
        if (!"ban".equals(current) && !"invite".equals(current) && !"join".equals(current)) {
            return AuthResult.ALLOWED;
        }
        return AuthResult.reject(k + ".3 knock by a non-member", event.sender() + " cannot knock: already "
                + (current.equals("ban") ? "banned" : current.equals("invite") ? "invited" : "joined"));
    }

    // ---- m.room.power_levels ------------------------------------------------------------------

    private static AuthResult checkPowerLevels(Pdu event, Map<StateKey, Pdu> state, PowerLevels current,
                                               Numbering n) {
        RoomVersion v = event.roomVersion();
        String p = n.powerLevels;
        Map<String, Object> content = event.content();

        if (v.integerPowerLevels()) {
            for (String key : PowerLevels.LEVEL_KEYS) {
                if (content.containsKey(key) && !(content.get(key) instanceof Long)) {
                    return AuthResult.reject(p + ".1 integer levels", key + " is " + quote(content.get(key))
                            + ", not an integer (room version " + v.id() + " refuses strings)");
                }
            }
            for (String key : List.of("events", "notifications")) {
                if (!content.containsKey(key)) {
                    continue;
                }
                if (!(content.get(key) instanceof Map<?, ?> map)) {
                    return AuthResult.reject(p + ".2 integer event and notification levels", key + " is not an object");
                }
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    if (!(e.getValue() instanceof Long)) {
                        return AuthResult.reject(p + ".2 integer event and notification levels", key + "." + e.getKey()
                                + " is " + quote(e.getValue()) + ", not an integer");
                    }
                }
            }
        }

        // x.1 (v10+: x.3). A missing users property is fine, as in Synapse and ruma: it is optional.
        String usersRule = p + "." + n.plUsers + " users are user IDs with integer levels";
        Map<?, ?> users = Map.of();
        if (content.containsKey("users")) {
            if (!(content.get("users") instanceof Map<?, ?> map)) {
                return AuthResult.reject(usersRule, "users is not an object");
            }
            users = map;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!(e.getKey() instanceof String user) || !Identifiers.isUserId(user)) {
                    return AuthResult.reject(usersRule, "users has the key " + quote(e.getKey())
                            + ", which is not a valid user ID");
                }
                if (PowerLevels.level(e.getValue(), v).isEmpty()) {
                    return AuthResult.reject(usersRule, "users." + user + " is " + quote(e.getValue()) + ", not an integer"
                            + (v.integerPowerLevels() ? "" : " or a string holding one"));
                }
            }
        }
        if (v.roomIdIsCreateEventHash()) {
            for (String creator : current.creators()) {
                if (users.containsKey(creator)) {
                    return AuthResult.reject(p + ".4 creators not in users", "users lists the room creator " + creator
                            + ", whose power level is infinite and cannot be set");
                }
            }
        }

        Pdu previous = state.get(StateKey.of(event));
        if (previous == null) {
            return AuthResult.ALLOWED; // no previous power levels event
        }
        Map<String, Object> old = previous.content();
        String sender = event.sender();
        long senderLevel = current.userLevel(sender);
        String senderPower = powerOf(sender, senderLevel);

        // Before v10 only users is validated above; the properties compared here must still hold
        // levels, or nothing can be compared (Synapse fails on them too).
        String propsRule = p + "." + n.plProps + " changed levels within the sender's power";
        for (String key : PowerLevels.LEVEL_KEYS) {
            OptionalLong before = PowerLevels.level(old.get(key), v);
            if (content.containsKey(key) && PowerLevels.level(content.get(key), v).isEmpty()) {
                return AuthResult.reject(propsRule, key + " is " + quote(content.get(key)) + ", not a power level");
            }
            OptionalLong after = PowerLevels.level(content.get(key), v);
            if (before.equals(after)) {
                continue;
            }
            if (before.isPresent() && before.getAsLong() > senderLevel) {
                return AuthResult.reject(propsRule, "changing " + key + " from " + before.getAsLong() + " needs that level; "
                        + senderPower);
            }
            if (after.isPresent() && after.getAsLong() > senderLevel) {
                return AuthResult.reject(propsRule, "setting " + key + " to " + after.getAsLong() + " is above "
                        + senderPower);
            }
        }

        List<String> mapKeys = v.notificationsPowerLevel() ? List.of("events", "notifications") : List.of("events");
        Map<String, Map<String, OptionalLong>> oldMaps = new HashMap<>();
        Map<String, Map<String, OptionalLong>> newMaps = new HashMap<>();
        for (String key : mapKeys) {
            oldMaps.put(key, levelMap(old.get(key), v));
            if (content.containsKey(key) && !(content.get(key) instanceof Map<?, ?>)) {
                return AuthResult.reject(p + "." + n.plMapsOld + " changed event levels within the sender's power",
                        key + " is not an object");
            }
            Map<String, OptionalLong> parsed = levelMap(content.get(key), v);
            for (Map.Entry<String, OptionalLong> e : parsed.entrySet()) {
                if (e.getValue().isEmpty()) {
                    return AuthResult.reject(p + "." + n.plMapsNew + " new event levels within the sender's power",
                            key + "." + e.getKey() + " is not a power level");
                }
            }
            newMaps.put(key, parsed);
        }
        for (String key : mapKeys) {
            Map<String, OptionalLong> before = oldMaps.get(key);
            Map<String, OptionalLong> after = newMaps.get(key);
            for (Map.Entry<String, OptionalLong> e : before.entrySet()) {
                OptionalLong was = e.getValue();
                if (was.isEmpty() || was.equals(after.get(e.getKey()))) {
                    continue;
                }
                if (was.getAsLong() > senderLevel) {
                    return AuthResult.reject(p + "." + n.plMapsOld + " changed event levels within the sender's power",
                            (after.containsKey(e.getKey()) ? "changing " : "removing ") + key + "." + e.getKey()
                                    + " (level " + was.getAsLong() + ") is beyond " + senderPower);
                }
            }
        }
        for (String key : mapKeys) {
            Map<String, OptionalLong> before = oldMaps.get(key);
            Map<String, OptionalLong> after = newMaps.get(key);
            for (Map.Entry<String, OptionalLong> e : after.entrySet()) {
                OptionalLong now = e.getValue();
                if (now.equals(before.get(e.getKey()))) {
                    continue;
                }
                if (now.getAsLong() > senderLevel) {
                    return AuthResult.reject(p + "." + n.plMapsNew + " new event levels within the sender's power",
                            "setting " + key + "." + e.getKey() + " to " + now.getAsLong() + " is above " + senderPower);
                }
            }
        }

        Map<String, OptionalLong> oldUsers = levelMap(old.get("users"), v);
        Map<String, OptionalLong> newUsers = levelMap(content.get("users"), v);
        for (Map.Entry<String, OptionalLong> e : oldUsers.entrySet()) {
            OptionalLong was = e.getValue();
            if (was.isEmpty() || was.equals(newUsers.get(e.getKey())) || e.getKey().equals(sender)) {
                continue;
            }
            if (was.getAsLong() >= senderLevel) {
                return AuthResult.reject(p + "." + n.plUsersOld + " changed user levels below the sender's",
                        (newUsers.containsKey(e.getKey()) ? "changing " : "removing ") + "the level of " + e.getKey()
                                + " (" + was.getAsLong() + ") needs a level above it; " + senderPower);
            }
        }
        for (Map.Entry<String, OptionalLong> e : newUsers.entrySet()) {
            OptionalLong now = e.getValue();
            if (now.equals(oldUsers.get(e.getKey()))) {
                continue;
            }
            if (now.getAsLong() > senderLevel) {
                return AuthResult.reject(p + "." + n.plUsersNew + " new user levels within the sender's power",
                        "setting " + e.getKey() + " to " + now.getAsLong() + " is above " + senderPower);
            }
        }
        return AuthResult.ALLOWED;
    }

    /** Entries of a levels object, each parsed (empty when invalid); empty when not an object. */
    private static Map<String, OptionalLong> levelMap(Object value, RoomVersion v) {
        if (!(value instanceof Map<?, ?> map)) {
            return Map.of();
        }
        Map<String, OptionalLong> out = new HashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (e.getKey() instanceof String key) {
                out.put(key, PowerLevels.level(e.getValue(), v));
            }
        }
        return out;
    }

    // ---- v1–v2 m.room.redaction ---------------------------------------------------------------

    private static AuthResult checkRedactionV1(Pdu event, PowerLevels levels, long senderLevel, Numbering n) {
        if (senderLevel >= levels.redact()) {
            return AuthResult.ALLOWED;
        }
        Optional<String> redacts = event.redacts();
        String ownServer = Identifiers.serverOf(event.eventId()).orElse(null);
        String theirServer = redacts.flatMap(Identifiers::serverOf).orElse(null);
        if (ownServer != null && ownServer.equals(theirServer)) {
            return AuthResult.ALLOWED;
        }
        return AuthResult.reject(n.redaction + " redaction", powerOf(event.sender(), senderLevel)
                + " is below the redact level " + levels.redact() + " and the redacted event "
                + redacts.orElse("(none named)") + " is not from this redaction's server " + ownServer);
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** Whether {@code signatures} has an entry for the server (its signatures were verified before). */
    static boolean signedBy(Pdu event, String server) {
        return server != null && event.json().get("signatures") instanceof Map<?, ?> sigs
                && sigs.get(server) instanceof Map<?, ?> byKey && !byKey.isEmpty();
    }

    /** The creator whose join right after the create event needs nothing else (x.3.1). */
    private static String firstJoiner(Pdu create) {
        if (create.roomVersion().creatorIsSender()) {
            return create.sender();
        }
        return create.content().get("creator") instanceof String c ? c : null;
    }

    /** A user's membership in the state, or null when they have no member event (or it has no string membership). */
    static String membership(Map<StateKey, Pdu> state, String userId) {
        Pdu member = state.get(StateKey.member(userId));
        return member == null ? null : member.membership().orElse(null);
    }

    /** The room's join rule, or null when there is no join rules event or it holds no string join_rule. */
    static String joinRule(Map<StateKey, Pdu> state) {
        Pdu rules = state.get(StateKey.JOIN_RULES);
        return rules == null ? null : rules.contentString("join_rule").orElse(null);
    }

    private static boolean isKnownJoinRule(String joinRule) {
        return Set.of("public", "invite", "knock", "restricted", "knock_restricted").contains(joinRule);
    }

    private static String serverOf(String userId) {
        return Identifiers.serverOf(userId).orElse("(no server)");
    }

    private static String describeMembership(String membership) {
        return membership == null ? " (no membership)" : " (membership: " + membership + ")";
    }

    private static String powerOf(String user, long level) {
        return user + "'s power level " + PowerLevels.describe(level);
    }

    private static String describeShape(Pdu event) {
        return event.type().equals(MEMBER) ? "an m.room.member " + event.membership().orElse("?") + " event"
                : "an " + event.type() + " event";
    }

    private static String quote(Object value) {
        return value instanceof String s ? "\"" + s + "\"" : String.valueOf(value);
    }

    /** The room version's rule numbers. */
    private record Numbering(String authEvents, String federate, String member, int join, int joinOtherwise,
                             int unknownMembership, String joined, String thirdPartyInvite, String required,
                             String userStateKey, String powerLevels, int plUsers, int plProps, int plMapsOld,
                             int plMapsNew, int plUsersOld, int plUsersNew, String redaction) {

        static Numbering of(RoomVersion v) {
            boolean v12 = v.roomIdIsCreateEventHash();
            int member = v.aliasesAuthRule() || v12 ? 5 : 4;
            int join = v.restricted() ? 3 : 2;
            int joinOtherwise = v.restricted() ? 7 : 6;
            int unknown = join + (v.knock() ? 5 : 4);
            int plUsers = v.integerPowerLevels() ? 3 : 1;
            int plNoPrevious = plUsers + (v12 ? 2 : 1);
            int props = plNoPrevious + 1;
            return new Numbering(v12 ? "3" : "2", v12 ? "4" : "3", Integer.toString(member), join, joinOtherwise,
                    unknown, Integer.toString(member + 1), Integer.toString(member + 2),
                    Integer.toString(member + 3), Integer.toString(member + 4), Integer.toString(member + 5),
                    plUsers, props, props + 1, props + 2, props + 3, props + 4, Integer.toString(member + 6));
        }
    }
}
