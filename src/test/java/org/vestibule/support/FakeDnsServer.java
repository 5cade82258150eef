package org.vestibule.support;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * A tiny authoritative DNS server on 127.0.0.1 (UDP) for tests: answers A, AAAA, SRV and CNAME
 * from records the test adds, NXDOMAIN for names it has nothing for.
 */
public final class FakeDnsServer implements AutoCloseable {

    private static final long TTL = 60;

    private final DatagramSocket socket;
    private final Thread thread;
    private final Map<String, List<Record>> records = new ConcurrentHashMap<>();
    private final AtomicInteger queries = new AtomicInteger();
    private final List<String> questions = new CopyOnWriteArrayList<>();

    private FakeDnsServer() throws SocketException {
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        thread = new Thread(this::serve, "fake-dns");
        thread.setDaemon(true);
        thread.start();
    }

    public static FakeDnsServer start() {
        try {
            return new FakeDnsServer();
        } catch (SocketException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code host:port} for {@code vestibule.federation.dns-server}. */
    public String address() {
        return "127.0.0.1:" + socket.getLocalPort();
    }

    public FakeDnsServer a(String name, String address) {
        try {
            InetAddress a = InetAddress.getByName(address);
            return add(a.getAddress().length == 4 ? new ARecord(name(name), DClass.IN, TTL, a)
                    : new AAAARecord(name(name), DClass.IN, TTL, a));
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    public FakeDnsServer srv(String name, int priority, int weight, int port, String target) {
        return add(new SRVRecord(name(name), DClass.IN, TTL, priority, weight, port, name(target)));
    }

    public FakeDnsServer cname(String name, String target) {
        return add(new CNAMERecord(name(name), DClass.IN, TTL, name(target)));
    }

    /** How many queries were answered. */
    public int queries() {
        return queries.get();
    }

    /** Every question asked, as "TYPE name". */
    public List<String> questions() {
        return List.copyOf(questions);
    }

    private FakeDnsServer add(Record record) {
        records.computeIfAbsent(key(record.getName()), k -> new CopyOnWriteArrayList<>()).add(record);
        return this;
    }

    private static Name name(String name) {
        try {
            return Name.fromString(name.endsWith(".") ? name : name + ".");
        } catch (TextParseException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static String key(Name name) {
        return name.toString().toLowerCase(Locale.ROOT);
    }

    private void serve() {
        byte[] buffer = new byte[4096];
        while (!socket.isClosed()) {
            try {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                socket.receive(packet);
                Message query = new Message(Arrays.copyOf(packet.getData(), packet.getLength()));
                byte[] answer = answer(query).toWire(512);
                socket.send(new DatagramPacket(answer, answer.length, packet.getSocketAddress()));
            } catch (IOException e) {
                // closed, or a packet we cannot parse: ignore it
            }
        }
    }

    private Message answer(Message query) {
        queries.incrementAndGet();
        Record question = query.getQuestion();
        Message response = new Message(query.getHeader().getID());
        response.getHeader().setFlag(Flags.QR);
        response.getHeader().setFlag(Flags.AA);
        if (query.getHeader().getFlag(Flags.RD)) {
            response.getHeader().setFlag(Flags.RD);
            response.getHeader().setFlag(Flags.RA);
        }
        response.addRecord(question, Section.QUESTION);
        questions.add(Type.string(question.getType()) + " " + question.getName().toString(true));
        Name name = question.getName();
        List<Record> answers = new ArrayList<>();
        for (int hops = 0; hops < 8; hops++) {
            List<Record> here = records.getOrDefault(key(name), List.of());
            Record cname = here.stream().filter(r -> r.getType() == Type.CNAME).findFirst().orElse(null);
            if (cname != null && question.getType() != Type.CNAME) {
                answers.add(cname);
                name = ((CNAMERecord) cname).getTarget();
                continue;
            }
            here.stream().filter(r -> r.getType() == question.getType()).forEach(answers::add);
            if (answers.isEmpty() && here.isEmpty()) {
                response.getHeader().setRcode(Rcode.NXDOMAIN);
            }
            break;
        }
        answers.forEach(r -> response.addRecord(r, Section.ANSWER));
        return response;
    }

    @Override
    public void close() {
        socket.close();
    }
}
