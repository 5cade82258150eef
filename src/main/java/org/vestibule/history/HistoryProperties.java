package org.vestibule.history;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Backfill: fetching a room's older history from other servers when a client pages back past what
 * we hold (spec server-server §Backfilling). Every bound is per page a client asks for, except the
 * last, so a peer that answers slowly or with garbage costs one timeout, never the page.
 *
 * @param backfillLimit       events asked of a server in one /backfill request (its {@code limit})
 * @param requestsPerPage     /backfill requests one page of /messages or /context may make, over
 *                            all servers tried
 * @param timeout             how long one server has to answer a backfill, its checks' fetches
 *                            (/state_ids, /event, /event_auth) included; then the next server
 * @param maxEventsPerRoom    backfilled events a room may hold; past this, pages end where we are
 * @param failureBackoff      how long a server that failed a backfill is passed over (doubling
 *                            with each failure in a row, up to an hour)
 */
@ConfigurationProperties("vestibule.history")
public record HistoryProperties(
        @DefaultValue("100") int backfillLimit,
        @DefaultValue("3") int requestsPerPage,
        @DefaultValue("10s") Duration timeout,
        @DefaultValue("100000") long maxEventsPerRoom,
        @DefaultValue("30s") Duration failureBackoff) {

    public HistoryProperties {
        if (backfillLimit < 1 || backfillLimit > 1_000) {
            throw new IllegalArgumentException("vestibule.history.backfill-limit must be between 1 and 1000");
        }
        if (requestsPerPage < 0 || requestsPerPage > 20) {
            throw new IllegalArgumentException("vestibule.history.requests-per-page must be between 0 and 20");
        }
    }
}
