package org.vestibule.event;

/**
 * A room version (spec §Room versions) and the flags the rest of the server needs.
 *
 * @param id                        the version identifier, e.g. "10"
 * @param eventFormat               how event IDs are made and how prev/auth events are listed
 * @param redaction                 which keys the redaction algorithm keeps
 * @param stateResolution           the state resolution algorithm
 * @param enforceKeyValidity        v5+: a key's valid_until_ts must cover the event's origin_server_ts
 * @param strictCanonicalJson       v6+: floats and out-of-range integers make an event invalid
 * @param aliasesAuthRule           v1–v5: auth rules special-case m.room.aliases
 * @param redactionAuthRule         v1–v2: auth rules check m.room.redaction (later: "Handling redactions")
 * @param notificationsPowerLevel   v6+: power-level changes also check {@code notifications}
 * @param knock                     v7+: the knock join rule and membership
 * @param restricted                v8+: the restricted join rule (MSC3083)
 * @param knockRestricted           v10+: the knock_restricted join rule (MSC3787)
 * @param integerPowerLevels        v10+: power-level values must be integers, not strings
 * @param creatorIsSender           v11+: the create event has no {@code creator}; its sender is the creator
 * @param redactsInContent          v11+: {@code redacts} lives in a redaction's content
 * @param roomIdIsCreateEventHash   v12: the room ID is the create event's reference hash; creators have infinite power
 */
public record RoomVersion(
        String id,
        EventFormat eventFormat,
        RedactionRules redaction,
        StateResolution stateResolution,
        boolean enforceKeyValidity,
        boolean strictCanonicalJson,
        boolean aliasesAuthRule,
        boolean redactionAuthRule,
        boolean notificationsPowerLevel,
        boolean knock,
        boolean restricted,
        boolean knockRestricted,
        boolean integerPowerLevels,
        boolean creatorIsSender,
        boolean redactsInContent,
        boolean roomIdIsCreateEventHash) {

    /** How events of a version are identified and linked. */
    public enum EventFormat {
        /** v1–v2: an explicit {@code $opaque:domain} event_id; prev/auth events as [id, hashes] pairs. */
        V1,
        /** v3: event ID = '$' + standard unpadded base64 of the reference hash. */
        V3,
        /** v4+: event ID = '$' + URL-safe unpadded base64 of the reference hash. */
        V4
    }

    /** The redaction algorithm's keep lists. */
    public enum RedactionRules {
        /** v1–v5: keeps m.room.aliases' aliases. */
        V1,
        /** v6–v7: no more aliases. */
        V6,
        /** v8: join rules keep allow. */
        V8,
        /** v9–v10: member events keep join_authorised_via_users_server. */
        V9,
        /** v11+: no origin/membership/prev_state; create keeps all; PL keeps invite; redacts kept. */
        V11
    }

    /** Which state resolution algorithm merges forks. */
    public enum StateResolution {
        V1,
        V2,
        /** Room version 12's v2 with an empty starting state and the conflicted state subgraph. */
        V2_1
    }

    /** Whether the join rule is allowed in this room version. */
    public boolean supportsJoinRule(String joinRule) {
        return switch (joinRule) {
            case "public", "invite" -> true;
            case "knock" -> knock;
            case "restricted" -> restricted;
            case "knock_restricted" -> knockRestricted;
            default -> false;
        };
    }

    /** Whether the given join rule grants restricted joins in this version. */
    public boolean isRestrictedJoinRule(String joinRule) {
        return ("restricted".equals(joinRule) && restricted)
                || ("knock_restricted".equals(joinRule) && knockRestricted);
    }

    /** Whether the given join rule lets users knock in this version. */
    public boolean isKnockJoinRule(String joinRule) {
        return ("knock".equals(joinRule) && knock) || ("knock_restricted".equals(joinRule) && knockRestricted);
    }

    /** Whether event IDs are carried in the event (v1, v2) rather than computed. */
    public boolean hasExplicitEventIds() {
        return eventFormat == EventFormat.V1;
    }
}
