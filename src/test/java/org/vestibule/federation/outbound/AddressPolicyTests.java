package org.vestibule.federation.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.SRVRecord;

class AddressPolicyTests {

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.1.2.3", "::1", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.0.1",
            "169.254.169.254", "0.0.0.0", "0.1.2.3", "::", "224.0.0.1", "239.255.255.250", "ff02::1", "fe80::1",
            "fc00::1", "fd12:3456::1", "100.64.0.1", "100.127.255.254", "255.255.255.255", "::ffff:127.0.0.1",
            "::ffff:10.0.0.1"})
    void nonPublicAddresses(String address) throws Exception {
        InetAddress a = InetAddress.getByName(address);
        assertThat(AddressPolicy.isNonPublic(a)).isTrue();
        assertThat(new AddressPolicy(false).permits(a)).isFalse();
        assertThat(new AddressPolicy(true).permits(a)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "192.0.2.1", "2001:4860:4860::8888",
            "2a01:4f8::1", "fbff::1", "fe00::1"})
    void publicAddresses(String address) throws Exception {
        assertThat(AddressPolicy.isNonPublic(InetAddress.getByName(address))).isFalse();
        assertThat(new AddressPolicy(false).permits(InetAddress.getByName(address))).isTrue();
    }

    @Test
    void srvRecordsAreOrderedByPriorityThenWeight() throws Exception {
        Name owner = Name.fromString("_matrix-fed._tcp.example.org.");
        List<SRVRecord> records = List.of(
                new SRVRecord(owner, DClass.IN, 60, 20, 0, 3, Name.fromString("c.example.org.")),
                new SRVRecord(owner, DClass.IN, 60, 10, 0, 1, Name.fromString("a.example.org.")),
                new SRVRecord(owner, DClass.IN, 60, 10, 100, 2, Name.fromString("b.example.org.")));
        List<NameResolver.SrvTarget> ordered = NameResolver.order(records, new Random(1));
        assertThat(ordered).hasSize(3);
        assertThat(ordered.subList(0, 2)).extracting(NameResolver.SrvTarget::host)
                .containsExactlyInAnyOrder("a.example.org", "b.example.org");
        assertThat(ordered.get(2)).isEqualTo(new NameResolver.SrvTarget("c.example.org", 3));
        // A weight of 100 against 0 wins the first place almost every time (RFC 2782's draw).
        int heavyFirst = 0;
        Random random = new Random(42);
        for (int i = 0; i < 200; i++) {
            if (NameResolver.order(records, random).get(0).port() == 2) {
                heavyFirst++;
            }
        }
        assertThat(heavyFirst).isGreaterThan(190);
    }

    @Test
    void dnsServerSettingParses() {
        assertThat(NameResolver.parseServer("127.0.0.1:5353").getPort()).isEqualTo(5353);
        assertThat(NameResolver.parseServer("127.0.0.1").getPort()).isEqualTo(53);
        assertThat(NameResolver.parseServer("[::1]:5353").getAddress().getHostAddress()).isEqualTo("0:0:0:0:0:0:0:1");
        assertThat(NameResolver.parseServer("::1").getPort()).isEqualTo(53);
    }
}
