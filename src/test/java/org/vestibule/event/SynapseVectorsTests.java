package org.vestibule.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Real events made by Synapse 1.160 in rooms of versions 1, 3, 6, 9, 10, 11 and 12. */
class SynapseVectorsTests {

    static Map<String, Object> vectors() {
        try (InputStream in = SynapseVectorsTests.class.getResourceAsStream("/vectors/synapse-1.160-rooms.json")) {
            return StrictJsonParser.parseObject(in.readAllBytes(), new StrictJsonParser.Limits(1 << 24, 64));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, VerifyKey> keys(Map<String, Object> keyDocument) {
        Map<String, VerifyKey> keys = new HashMap<>();
        Json.object(keyDocument, "verify_keys").forEach((id, key) ->
                keys.put(id, VerifyKey.fromBase64(id, (String) ((Map<?, ?>) key).get("key"))));
        return keys;
    }

    static Stream<Arguments> events() {
        Map<String, Object> vectors = vectors();
        return Json.list(vectors, "rooms").stream().flatMap(r -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> room = (Map<String, Object>) r;
            RoomVersion version = RoomVersions.byId((String) room.get("room_version")).orElseThrow();
            return Json.list(room, "events").stream().map(e -> {
                @SuppressWarnings("unchecked")
                Map<String, Object> event = (Map<String, Object>) e;
                return Arguments.of(version.id(), event.get("event_id"), Json.object(event, "pdu"));
            });
        });
    }

    @ParameterizedTest(name = "v{0} {1}")
    @MethodSource("events")
    void ourEventIdEqualsSynapses(String versionId, String eventId, Map<String, Object> pduJson) {
        RoomVersion version = RoomVersions.byId(versionId).orElseThrow();
        Pdu pdu = Pdu.fromJson(pduJson, version);
        assertThat(pdu.eventId()).isEqualTo(eventId);
    }

    @ParameterizedTest(name = "v{0} {1}")
    @MethodSource("events")
    void contentHashChecks(String versionId, String eventId, Map<String, Object> pduJson) {
        Pdu pdu = Pdu.fromJson(pduJson, RoomVersions.byId(versionId).orElseThrow());
        assertThat(pdu.contentHashMatches()).isTrue();
    }

    @ParameterizedTest(name = "v{0} {1}")
    @MethodSource("events")
    void everySignatureVerifiesWithTheKeyDocuments(String versionId, String eventId, Map<String, Object> pduJson) {
        Map<String, Object> vectors = vectors();
        Map<String, Object> resident = Json.object(vectors, "server_key_document");
        Map<String, Object> joining = Json.object(vectors, "joining_server_key_document");
        Map<String, Map<String, VerifyKey>> keysByServer = Map.of(
                (String) resident.get("server_name"), keys(resident),
                (String) joining.get("server_name"), keys(joining));
        Pdu pdu = Pdu.fromJson(pduJson, RoomVersions.byId(versionId).orElseThrow());

        Map<String, Object> signatures = Json.object(pdu.json(), "signatures");
        assertThat(signatures).containsKey(pdu.senderServer());
        for (String server : signatures.keySet()) {
            for (String keyId : Json.object(signatures, server).keySet()) {
                VerifyKey key = keysByServer.get(server).get(keyId);
                assertThat(EventSigning.verify(pdu, server, key)).as("%s's signature", server).isTrue();
            }
        }
        // A changed protected field breaks every signature.
        Map<String, Object> tampered = Json.mutableCopy(pdu.json());
        tampered.put("origin_server_ts", pdu.originServerTs() + 1);
        Pdu bad = Pdu.fromJson(tampered, pdu.roomVersion());
        assertThat(EventSigning.verify(bad, pdu.senderServer(),
                keysByServer.get(pdu.senderServer()).values().iterator().next())).isFalse();
    }

    @Test
    void keyDocumentsAreSelfSigned() {
        Map<String, Object> vectors = vectors();
        for (String doc : List.of("server_key_document", "joining_server_key_document")) {
            Map<String, Object> keyDocument = Json.object(vectors, doc);
            String server = (String) keyDocument.get("server_name");
            for (VerifyKey key : keys(keyDocument).values()) {
                assertThat(JsonSigning.verify(keyDocument, server, key)).as(doc).isTrue();
            }
        }
    }

    @Test
    void restrictedJoinsCarryTheAuthorisersSignatureAndKeepTheFieldWhenRedacted() {
        Map<String, Object> vectors = vectors();
        int checked = 0;
        for (Object r : Json.list(vectors, "rooms")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> room = (Map<String, Object>) r;
            RoomVersion version = RoomVersions.byId((String) room.get("room_version")).orElseThrow();
            for (Object e : Json.list(room, "events")) {
                Pdu pdu = Pdu.fromJson(Json.object((Map<String, Object>) e, "pdu"), version);
                if (pdu.content().containsKey("join_authorised_via_users_server")) {
                    checked++;
                    String authoriser = (String) pdu.content().get("join_authorised_via_users_server");
                    assertThat(Json.object(pdu.json(), "signatures"))
                            .containsKey(Identifiers.serverOf(authoriser).orElseThrow());
                    assertThat(pdu.redacted().content()).containsKey("join_authorised_via_users_server");
                }
            }
        }
        assertThat(checked).isEqualTo(4);
    }

    @Test
    void v12RoomIdIsDerivedFromTheCreateEvent() {
        Map<String, Object> vectors = vectors();
        for (Object r : Json.list(vectors, "rooms")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> room = (Map<String, Object>) r;
            if (!"12".equals(room.get("room_version"))) {
                continue;
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> create = Json.object((Map<String, Object>) Json.list(room, "events").get(0), "pdu");
            assertThat(EventIds.roomIdFromCreateEvent(create, RoomVersions.V12)).isEqualTo(room.get("room_id"));
            Pdu pdu = Pdu.fromJson(create, RoomVersions.V12);
            assertThat(pdu.roomId()).isEqualTo(room.get("room_id"));
            assertThat(pdu.json()).doesNotContainKey("room_id");
        }
    }
}
