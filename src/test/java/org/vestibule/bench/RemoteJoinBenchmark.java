package org.vestibule.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.JdbcTemplate;
import org.vestibule.event.CanonicalJson;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersions;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.room.LocalEvents;
import org.vestibule.room.NewRoom;
import org.vestibule.room.PartialStateRooms;
import org.vestibule.room.RoomCreator;
import org.vestibule.support.FederationDriver;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.TestHomeservers;

/**
 * Issue 5's benchmark: how long hs2 takes to join an hs1 room of N members (default 1,000 and
 * 10,000) over HTTPS on loopback, end to end through the client API (make_join, send_join with
 * full state, checking every returned event's signatures and hashes, storing the room); how long
 * hs3, with {@code vestibule.join.partial-state=true}, takes to answer its client and then to
 * finish the background resync; and, for comparison, what send_join costs the resident with and
 * without omit_members.
 * Run with {@code bench/remote-join.sh [members...]}.
 */
public final class RemoteJoinBenchmark {

    public static void main(String[] args) throws Exception {
        int[] sizes = args.length == 0 ? new int[] {1_000, 10_000} : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        // Rate limits off, explicitly: thousands of joins into one room are far past rc_joins_per_room.
        try (TestHomeservers servers = TestHomeservers.start(3, i -> i == 2
                ? new String[] {"--logging.level.root=WARN", "--vestibule.join.partial-state=true",
                        "--vestibule.rate-limits.enabled=false"}
                : new String[] {"--logging.level.root=WARN", "--vestibule.rate-limits.enabled=false"})) {
            TestHomeservers.Homeserver hs1 = servers.get(0);
            TestHomeservers.Homeserver hs2 = servers.get(1);
            TestHomeservers.Homeserver hs3 = servers.get(2);
            MatrixClient client2 = new MatrixClient(hs2.clientBaseUrl());
            MatrixClient client3 = new MatrixClient(hs3.clientBaseUrl());
            PartialStateRooms partialRooms = hs3.bean(PartialStateRooms.class);
            FederationDriver driver = new FederationDriver(hs2);
            String server1 = hs1.bean(ServerKeyring.class).serverName();
            System.out.println("members   populate s   hs2 join (full state) ms   state events   "
                    + "hs3 partial join: 200 ms / resync done ms   "
                    + "send_join full ms / KiB   send_join omit_members ms / KiB");
            // Warm up: keys fetched, JIT compiled, on a small room that is not reported.
            int[] all = new int[sizes.length + 1];
            all[0] = 200;
            System.arraycopy(sizes, 0, all, 1, sizes.length);
            boolean warm = true;
            for (int size : all) {
                String creator = "@creator" + size + (warm ? "w" : "") + ":" + server1;
                String room = hs1.bean(RoomCreator.class).create(new NewRoom(creator, RoomVersions.V10, "public_chat",
                        Map.of(), List.of(), Map.of(), null, null, null, List.of(), false));
                LocalEvents events = hs1.bean(LocalEvents.class);
                long t0 = System.nanoTime();
                for (int i = 1; i < size; i++) {
                    String user = "@m" + size + (warm ? "w" : "") + "_" + i + ":" + server1;
                    events.send(room, user, "m.room.member", user, Map.of("membership", "join", "displayname", "M " + i));
                }
                double populate = (System.nanoTime() - t0) / 1e9;

                MatrixClient.User bob = client2.register("bob" + size + (warm ? "w" : ""));
                long j0 = System.nanoTime();
                client2.join(bob, room, server1).expect(200);
                double joinMs = (System.nanoTime() - j0) / 1e6;
                long stateEvents = hs2.bean(JdbcTemplate.class).queryForObject(
                        "select count(*) from current_state where room_id = ?", Long.class, room);

                // Partial state: the client's 200, then (polling the flag) the resync's end, both from the join request.
                MatrixClient.User carol = client3.register("carol" + size + (warm ? "w" : ""));
                long p0 = System.nanoTime();
                client3.join(carol, room, server1).expect(200);
                double partialJoinMs = (System.nanoTime() - p0) / 1e6;
                long deadline = System.nanoTime() + 600_000_000_000L;
                while (partialRooms.isPartial(room)) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("hs3's resync of " + room + " did not finish in 10 minutes");
                    }
                    Thread.sleep(5);
                }
                double resyncMs = (System.nanoTime() - p0) / 1e6;
                long fullStateEvents = hs3.bean(JdbcTemplate.class).queryForObject(
                        "select count(*) from current_state where room_id = ?", Long.class, room);
                if (fullStateEvents < stateEvents) {
                    throw new IllegalStateException("hs3 has " + fullStateEvents + " state events after its resync, hs2 "
                            + stateEvents);
                }

                double[] full = sendJoin(driver, server1, room, "full" + size + warm, null);
                double[] partial = sendJoin(driver, server1, room, "partial" + size + warm, "?omit_members=true");
                if (warm) {
                    warm = false;
                    continue;
                }
                System.out.printf("%7d   %10.1f   %24.0f   %12d   %19.0f / %16.0f   %10.0f / %6.0f   %14.0f / %6.0f%n",
                        size, populate, joinMs, stateEvents, partialJoinMs, resyncMs, full[0], full[1], partial[0],
                        partial[1]);
            }
        }
        System.exit(0);
    }

    /** Median over 5 joins of the resident's send_join time, and the answer's size in KiB. */
    private static double[] sendJoin(FederationDriver driver, String resident, String room, String prefix, String query) {
        double[] times = new double[5];
        double kib = 0;
        for (int i = 0; i < times.length; i++) {
            String user = driver.userId(prefix + "_" + i);
            FederationDriver.Answer made = driver.makeJoin(resident, room, user);
            Pdu join = driver.sign(made.event(), (String) made.body().get("room_version"), null);
            long t = System.nanoTime();
            FederationDriver.Answer sent = driver.sendJoin(resident, room, join.eventId(), join.json(), 2, query);
            times[i] = (System.nanoTime() - t) / 1e6;
            if (sent.status() != 200) {
                throw new IllegalStateException("send_join failed: " + sent.json());
            }
            kib = CanonicalJson.encode(sent.json()).length / 1024.0;
        }
        Arrays.sort(times);
        return new double[] {times[times.length / 2], kib};
    }
}
