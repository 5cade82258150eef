package org.vestibule.join;

import java.util.List;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;

/**
 * The restricted-join policy's answer for one user and room (spec server-server §Restricted
 * rooms; DESIGN.md's errcode table). Each refusal carries a message naming what was checked.
 */
public sealed interface JoinDecision {

    /** What was found for each valid allow condition, in the room's order. */
    List<ConditionCheck> checks();

    /** A short name for logs, metrics and the admin API. */
    default String outcome() {
        if (this instanceof Allowed a) {
            return a.authoriser() == null ? "allowed" : "allowed_restricted";
        }
        return this instanceof Forbidden ? "forbidden" : this instanceof UnableToGrant ? "unable_to_grant"
                : "unable_to_authorise";
    }

    /** The error a peer sees for this decision, or null when the join may go ahead. */
    default MatrixException refusal(JoinProperties.ErrcodeProfile profile) {
        if (this instanceof Forbidden f) {
            return MatrixException.forbidden(f.message());
        }
        if (this instanceof UnableToGrant g) {
            return new MatrixException(400, Errcode.UNABLE_TO_GRANT_JOIN, g.message());
        }
        if (this instanceof UnableToAuthorise u) {
            // The MSC3083 draft called this M_CANNOT_ALLOW; released specs use M_UNABLE_TO_AUTHORISE_JOIN.
            return new MatrixException(400, profile == JoinProperties.ErrcodeProfile.MSC3083_DRAFT
                    ? Errcode.CANNOT_ALLOW : Errcode.UNABLE_TO_AUTHORISE_JOIN, u.message());
        }
        return null;
    }

    /**
     * The join may go ahead.
     *
     * @param authoriser the local user to name in join_authorised_via_users_server, or null when
     *                   none is needed (already invited or joined, or the room is not restricted)
     */
    record Allowed(String authoriser, List<ConditionCheck> checks) implements JoinDecision {}

    /** 403 M_FORBIDDEN: we know every allowed room and the user is in none (or no valid condition). */
    record Forbidden(String message, List<ConditionCheck> checks) implements JoinDecision {}

    /** 400 M_UNABLE_TO_AUTHORISE_JOIN: the user is in no allowed room we know, and we miss some. */
    record UnableToAuthorise(String message, List<ConditionCheck> checks) implements JoinDecision {}

    /** 400 M_UNABLE_TO_GRANT_JOIN: the user qualifies, but no local joined user can invite. */
    record UnableToGrant(String message, List<ConditionCheck> checks) implements JoinDecision {}
}
