package org.vestibule.federation.outbound;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.vestibule.keys.ServerKeyring;

/**
 * Once started, an empty transaction to every server we share a joined room with. A server that
 * tried to reach us while we were down backs off from us (Synapse: a minute and more, growing) and
 * holds its users' events until then, but any authenticated request from us resets that and
 * sends them (spec server-server §Transactions: a transaction may carry no PDUs). Best effort, a
 * few at a time, once per start (and once per database outage, DatabaseRecoveryAnnouncement);
 * failures are not retried.
 */
@Component
class RestartAnnouncement implements ApplicationListener<ApplicationReadyEvent> {

    private static final Logger log = LoggerFactory.getLogger(RestartAnnouncement.class);
    static final int AT_ONCE = 4;
    private static final String SHARING = "select distinct b.server_name from room_memberships a "
            + "join room_memberships b on b.room_id = a.room_id and b.membership = 'join' "
            + "where a.server_name = ? and a.membership = 'join' and b.server_name <> ? order by 1";

    private final JdbcTemplate jdbc;
    private final ServerKeyring keyring;
    private final TransactionSender sender;
    private final Clock clock;

    RestartAnnouncement(JdbcTemplate jdbc, ServerKeyring keyring, TransactionSender sender, Clock clock) {
        this.jdbc = jdbc;
        this.keyring = keyring;
        this.sender = sender;
        this.clock = clock;
    }

    /** The other servers with a user joined to a room one of ours is joined to. */
    List<String> sharingServers() {
        String us = keyring.serverName();
        return jdbc.queryForList(SHARING, String.class, us, us);
    }

    @Override
    public void onApplicationEvent(ApplicationReadyEvent ready) {
        announce();
    }

    void announce() {
        announce("start-", "");
    }

    /**
     * The empty transactions, named {@code prefix} and the time (a prefix no queued transaction
     * has, so a peer never takes one for a repeat), {@code why} said in the log.
     */
    void announce(String prefix, String why) {
        List<String> servers = sharingServers();
        if (servers.isEmpty()) {
            return;
        }
        log.info("Telling the {} servers we share rooms with that we are back{}", servers.size(), why);
        String txnId = prefix + Long.toString(clock.millis(), 36);
        ExecutorService senders = Executors.newFixedThreadPool(Math.min(AT_ONCE, servers.size()), r -> {
            Thread t = new Thread(r, "federation-hello");
            t.setDaemon(true);
            return t;
        });
        for (String server : servers) {
            senders.execute(() -> hello(server, txnId));
        }
        senders.shutdown();
    }

    private void hello(String server, String txnId) {
        try {
            sender.send(server, txnId, Map.of("origin", keyring.serverName(), "origin_server_ts", clock.millis(),
                    "pdus", List.of(), "edus", List.of()));
        } catch (Exception e) {
            log.debug("{} did not take our start's empty transaction: {}", server, e.toString());
        }
    }
}
