package org.vestibule.bench;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.vestibule.VestibuleApplication;
import org.vestibule.event.RoomVersions;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.room.LocalEvents;
import org.vestibule.room.NewRoom;
import org.vestibule.room.RoomCreator;
import org.vestibule.support.TestDatabase;
import org.vestibule.support.TestDirectories;

/**
 * Issue 3's benchmark: member events persisted into one room as it grows to N members (default
 * 10,000): events per second per slice of 1,000, how the cost per event changes with room size,
 * and database bytes per event. Each join goes the whole way: built, signed, auth-checked against
 * the state before it, stored with its state group, current state and membership updated, under
 * the room lock. Run with {@code bench/room-growth.sh [members]}.
 */
public final class RoomGrowthBenchmark {

    public static void main(String[] args) throws Exception {
        int members = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int slice = 1_000;
        String url = TestDatabase.newDatabase("bench");
        try (ConfigurableApplicationContext ctx = new SpringApplicationBuilder(VestibuleApplication.class)
                .run("--server.port=0", "--vestibule.tls.enabled=false", "--logging.level.root=WARN",
                        "--vestibule.server-name=bench.vestibule.invalid", "--vestibule.rate-limits.enabled=false",
                        "--vestibule.data-dir=" + TestDirectories.create("bench-"),
                        "--spring.datasource.url=" + url, "--spring.datasource.username=" + TestDatabase.server().username(),
                        "--spring.datasource.password=" + TestDatabase.server().password())) {
            String server = ctx.getBean(ServerKeyring.class).serverName();
            LocalEvents events = ctx.getBean(LocalEvents.class);
            JdbcTemplate jdbc = ctx.getBean(JdbcTemplate.class);
            String creator = "@creator:" + server;
            String roomId = ctx.getBean(RoomCreator.class).create(new NewRoom(creator, RoomVersions.V10, "public_chat",
                    Map.of(), List.of(), Map.of(), null, null, null, List.of(), false));
            System.out.printf("Room %s (v10, public). Joining %d members, reporting every %d.%n", roomId, members, slice);
            System.out.println("members   events/s   ms/event   db bytes/event (cumulative)");
            // Warm up the JIT on a throwaway room so the first slice is not all compilation.
            String warm = ctx.getBean(RoomCreator.class).create(new NewRoom(creator, RoomVersions.V10, "public_chat",
                    Map.of(), List.of(), Map.of(), null, null, null, List.of(), false));
            for (int i = 0; i < 500; i++) {
                events.send(warm, "@w" + i + ":" + server, "m.room.member", "@w" + i + ":" + server,
                        Map.of("membership", "join", "displayname", "Warm " + i));
            }
            long baseBytes = databaseBytes(jdbc);
            long baseEvents = eventCount(jdbc);
            long start = System.nanoTime();
            long sliceStart = start;
            for (int i = 1; i <= members; i++) {
                String user = "@member" + i + ":" + server;
                events.send(roomId, user, "m.room.member", user, Map.of("membership", "join", "displayname", "Member " + i));
                if (i % slice == 0) {
                    long now = System.nanoTime();
                    double seconds = (now - sliceStart) / 1e9;
                    long bytes = databaseBytes(jdbc) - baseBytes;
                    long n = eventCount(jdbc) - baseEvents;
                    System.out.printf("%7d   %8.0f   %8.3f   %d%n", i, slice / seconds, seconds * 1000 / slice, bytes / n);
                    sliceStart = now;
                }
            }
            double total = (System.nanoTime() - start) / 1e9;
            System.out.printf("Total: %d joins in %.1f s = %.0f events/s; state_group_entries rows: %d; heap used %d MiB%n",
                    members, total, members / total,
                    jdbc.queryForObject("select count(*) from state_group_entries", Long.class),
                    ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20);
        }
        System.exit(0);
    }

    private static long databaseBytes(JdbcTemplate jdbc) {
        jdbc.execute("checkpoint");
        return jdbc.queryForObject("select pg_database_size(current_database())", Long.class);
    }

    private static long eventCount(JdbcTemplate jdbc) {
        return jdbc.queryForObject("select count(*) from events", Long.class);
    }
}
