package org.vestibule.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The PDU model's format checks: required fields, identifier grammars and size limits. */
class PduTests {

    private static final SigningKey KEY = SigningKeyFixtures.KEY;

    private static Map<String, Object> member(RoomVersion v) {
        return Json.objectOf("type", "m.room.member", "room_id", "!room:a.example", "sender", "@bob:b.example",
                "state_key", "@bob:b.example", "content", Map.of("membership", "join"), "origin_server_ts", 5L,
                "depth", 3L, "prev_events", List.of(), "auth_events", List.of());
    }

    private static Map<String, Object> signed(Map<String, Object> event, RoomVersion v) {
        return EventSigning.hashAndSign(event, v, "b.example", KEY);
    }

    @Test
    void parsesASignedMemberEvent() {
        Pdu pdu = Pdu.fromJson(signed(member(RoomVersions.V10), RoomVersions.V10), RoomVersions.V10);
        assertThat(pdu.eventId()).matches("\\$[A-Za-z0-9_-]{43}");
        assertThat(pdu.membership()).contains("join");
        assertThat(pdu.isState()).isTrue();
        assertThat(pdu.senderServer()).isEqualTo("b.example");
        assertThat(pdu.contentHashMatches()).isTrue();
        assertThat(EventSigning.verify(pdu, "b.example", KEY.verifyKey())).isTrue();
        assertThat(Pdu.parse(pdu.canonicalBytes(), RoomVersions.V10)).isEqualTo(pdu);
    }

    @Test
    void dropsUnsignedAndACarriedEventIdFromV3() {
        Map<String, Object> json = signed(member(RoomVersions.V10), RoomVersions.V10);
        String id = Pdu.fromJson(json, RoomVersions.V10).eventId();
        json.put("event_id", "$forged");
        json.put("unsigned", Map.of("age", 4L));
        Pdu pdu = Pdu.fromJson(json, RoomVersions.V10);
        assertThat(pdu.eventId()).isEqualTo(id);
        assertThat(pdu.json()).doesNotContainKeys("event_id", "unsigned");
    }

    @Test
    void requiresEachField() {
        for (String field : List.of("type", "sender", "room_id", "content", "depth", "origin_server_ts", "prev_events",
                "auth_events", "hashes", "signatures")) {
            Map<String, Object> json = signed(member(RoomVersions.V10), RoomVersions.V10);
            json.remove(field);
            assertThatThrownBy(() -> Pdu.fromJson(json, RoomVersions.V10)).as(field)
                    .isInstanceOf(EventFormatException.class).hasMessageContaining(field);
        }
    }

    @Test
    void checksFieldTypes() {
        Map<String, Object> json = signed(member(RoomVersions.V10), RoomVersions.V10);
        json.put("depth", "3");
        assertThatThrownBy(() -> Pdu.fromJson(json, RoomVersions.V10)).hasMessage("depth must be an integer");
        json.put("depth", -1L);
        assertThatThrownBy(() -> Pdu.fromJson(json, RoomVersions.V10)).hasMessage("depth must not be negative");
        json.put("depth", 1L);
        json.put("state_key", 4L);
        assertThatThrownBy(() -> Pdu.fromJson(json, RoomVersions.V10)).hasMessage("state_key must be a string");
        json.put("state_key", "@bob:b.example");
        json.put("content", List.of());
        assertThatThrownBy(() -> Pdu.fromJson(json, RoomVersions.V10)).hasMessage("content must be an object");
    }

    @Test
    void checksIdentifierGrammars() {
        Map<String, Object> json = signed(member(RoomVersions.V10), RoomVersions.V10);
        json.put("sender", "bob");
        assertThatThrownBy(() -> Pdu.fromJson(json, RoomVersions.V10)).hasMessageContaining("sender is not a valid user ID");
        json.put("sender", "@bob:b.example");
        json.put("room_id", "room");
        assertThatThrownBy(() -> Pdu.fromJson(json, RoomVersions.V10)).hasMessageContaining("room_id is not a valid room ID");
        json.put("room_id", "!room:a.example");
        json.put("prev_events", List.of("$not:an-id-of-v4"));
        assertThatThrownBy(() -> Pdu.fromJson(json, RoomVersions.V10)).hasMessageContaining("prev_events holds an invalid event ID");
    }

    @Test
    void v1EventsListReferencesAsPairsAndCarryTheirId() {
        Map<String, Object> json = member(RoomVersions.V1);
        json.put("event_id", "$abc:b.example");
        json.put("prev_events", List.of(List.of("$p:a.example", Map.of("sha256", "x"))));
        Pdu pdu = Pdu.fromJson(signed(json, RoomVersions.V1), RoomVersions.V1);
        assertThat(pdu.eventId()).isEqualTo("$abc:b.example");
        assertThat(pdu.prevEvents()).containsExactly("$p:a.example");
        json.put("prev_events", List.of("$p:a.example"));
        assertThatThrownBy(() -> Pdu.fromJson(signed(json, RoomVersions.V1), RoomVersions.V1))
                .hasMessageContaining("[event_id, hashes] pairs");
    }

    @Test
    void limitsFieldLengthsTo255Bytes() {
        Map<String, Object> json = signed(member(RoomVersions.V10), RoomVersions.V10);
        json.put("type", "t".repeat(256));
        assertThatThrownBy(() -> Pdu.fromJson(json, RoomVersions.V10)).hasMessage("type is longer than 255 bytes");
        json.put("type", "m.room.member");
        json.put("state_key", "é".repeat(128));
        assertThatThrownBy(() -> Pdu.fromJson(json, RoomVersions.V10)).hasMessage("state_key is longer than 255 bytes");
    }

    @Test
    void limitsTheEventTo65536Bytes() {
        Map<String, Object> json = member(RoomVersions.V10);
        json.put("content", Map.of("membership", "join", "displayname", "x".repeat(65_400)));
        assertThatThrownBy(() -> Pdu.fromJson(signed(json, RoomVersions.V10), RoomVersions.V10))
                .hasMessageContaining("over the limit of 65536");
    }

    @Test
    void limitsPrevAndAuthEvents() {
        Map<String, Object> json = signed(member(RoomVersions.V10), RoomVersions.V10);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 21; i++) {
            ids.add("$" + "A".repeat(42) + (char) ('a' + i));
        }
        json.put("prev_events", ids);
        assertThatThrownBy(() -> Pdu.fromJson(json, RoomVersions.V10)).hasMessageContaining("more than 20");
    }

    @Test
    void v12CreateEventsHaveNoRoomId() {
        Map<String, Object> create = Json.objectOf("type", "m.room.create", "state_key", "", "sender", "@bob:b.example",
                "content", Map.of("room_version", "12"), "origin_server_ts", 1L, "depth", 1L,
                "prev_events", List.of(), "auth_events", List.of());
        Pdu pdu = Pdu.fromJson(signed(create, RoomVersions.V12), RoomVersions.V12);
        assertThat(pdu.roomId()).isEqualTo("!" + pdu.eventId().substring(1));
        create.put("room_id", pdu.roomId());
        assertThatThrownBy(() -> Pdu.fromJson(signed(create, RoomVersions.V12), RoomVersions.V12))
                .hasMessageContaining("must not have a room_id");
    }

    @Test
    void parseReportsJsonErrorsAsFormatErrors() {
        assertThatThrownBy(() -> Pdu.parse("{\"a\":1.5}".getBytes(StandardCharsets.UTF_8), RoomVersions.V10))
                .isInstanceOf(EventFormatException.class).hasMessageContaining("not valid JSON");
    }

    @Test
    void redactsWithoutChangingTheId() {
        Map<String, Object> json = member(RoomVersions.V10);
        json.put("content", Map.of("membership", "join", "displayname", "Bob"));
        Pdu pdu = Pdu.fromJson(signed(json, RoomVersions.V10), RoomVersions.V10);
        assertThat(pdu.redacted().content()).isEqualTo(Map.of("membership", "join"));
        assertThat(EventIds.compute(pdu.redacted().json(), RoomVersions.V10)).isEqualTo(pdu.eventId());
    }

    @Test
    void addingASignatureKeepsTheId() {
        Pdu pdu = Pdu.fromJson(signed(member(RoomVersions.V10), RoomVersions.V10), RoomVersions.V10);
        SigningKey other = SigningKey.fromSeed("ed25519:x", new byte[32]);
        Pdu cosigned = EventSigning.addSignature(pdu, "a.example", other);
        assertThat(EventIds.compute(cosigned.json(), RoomVersions.V10)).isEqualTo(pdu.eventId());
        assertThat(EventSigning.verify(cosigned, "a.example", other.verifyKey())).isTrue();
        assertThat(EventSigning.verify(cosigned, "b.example", KEY.verifyKey())).isTrue();
    }
}
