package org.vestibule.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The spec's cryptographic test vectors (appendices §Cryptographic Test Vectors). */
class SigningVectorsTests {

    static final SigningKey KEY = SigningKey.fromSeed("ed25519:1",
            UnpaddedBase64.decode("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1"));

    private static Map<String, Object> json(String text) {
        return StrictJsonParser.parseObject(text.getBytes(StandardCharsets.UTF_8), StrictJsonParser.Limits.PDU);
    }

    @Test
    void derivesThePublicKeyFromTheSeed() {
        assertThat(KEY.verifyKey().base64()).isEqualTo("XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI");
    }

    @Test
    void signsTheEmptyObject() {
        Map<String, Object> signed = JsonSigning.sign(Map.of(), "domain", KEY);
        assertThat(signed).isEqualTo(json("""
                {"signatures":{"domain":{"ed25519:1":
                "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ"}}}"""));
        assertThat(JsonSigning.verify(signed, "domain", KEY.verifyKey())).isTrue();
    }

    @Test
    void signsADataObject() {
        Map<String, Object> signed = JsonSigning.sign(json("{\"one\": 1, \"two\": \"Two\"}"), "domain", KEY);
        assertThat(JsonSigning.signatureOf(signed, "domain", "ed25519:1")).contains(
                "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw");
        assertThat(signed).containsEntry("one", 1L).containsEntry("two", "Two");
    }

    @Test
    void verificationIgnoresUnsignedAndFailsOnTampering() {
        Map<String, Object> signed = JsonSigning.sign(json("{\"one\": 1, \"two\": \"Two\"}"), "domain", KEY);
        signed.put("unsigned", Map.of("age", 5L));
        assertThat(JsonSigning.verify(signed, "domain", KEY.verifyKey())).isTrue();
        signed.put("two", "Three");
        assertThat(JsonSigning.verify(signed, "domain", KEY.verifyKey())).isFalse();
        assertThat(JsonSigning.verify(signed, "other", KEY.verifyKey())).isFalse();
    }

    @Test
    void keepsExistingSignaturesWhenSigningAgain() {
        SigningKey second = SigningKey.fromSeed("ed25519:2", new byte[32]);
        Map<String, Object> once = JsonSigning.sign(Map.of("a", 1L), "domain", KEY);
        Map<String, Object> twice = JsonSigning.sign(once, "other", second);
        assertThat(JsonSigning.verify(twice, "domain", KEY.verifyKey())).isTrue();
        assertThat(JsonSigning.verify(twice, "other", second.verifyKey())).isTrue();
    }

    private static final String MINIMAL_EVENT = """
            {
                "room_id": "!x:domain",
                "sender": "@a:domain",
                "origin": "domain",
                "origin_server_ts": 1000000,
                "signatures": {},
                "hashes": {},
                "type": "X",
                "content": {},
                "prev_events": [],
                "auth_events": [],
                "depth": 3,
                "unsigned": {
                    "age_ts": 1000000
                }
            }""";

    private static final String REDACTABLE_EVENT = """
            {
                "content": {
                    "body": "Here is the message content"
                },
                "event_id": "$0:domain",
                "origin": "domain",
                "origin_server_ts": 1000000,
                "type": "m.room.message",
                "room_id": "!r:domain",
                "sender": "@u:domain",
                "signatures": {},
                "unsigned": {
                    "age_ts": 1000000
                }
            }""";

    @Test
    void signsTheMinimalEvent() {
        Map<String, Object> signed = EventSigning.hashAndSign(json(MINIMAL_EVENT), RoomVersions.V1, "domain", KEY);
        assertThat(Json.object(signed, "hashes")).containsEntry("sha256", "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos");
        assertThat(JsonSigning.signatureOf(signed, "domain", "ed25519:1")).contains(
                "KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg");
    }

    @Test
    void signsTheRedactableEvent() {
        Map<String, Object> signed = EventSigning.hashAndSign(json(REDACTABLE_EVENT), RoomVersions.V1, "domain", KEY);
        assertThat(Json.object(signed, "hashes")).containsEntry("sha256", "onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g");
        assertThat(JsonSigning.signatureOf(signed, "domain", "ed25519:1")).contains(
                "Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA");
    }

    @Test
    void theSpecEventVectorsUseTheRedactionRulesThatKeepOrigin() {
        // The spec's vectors predate v11; with v11 redaction the hashes stay, the signatures change.
        for (RoomVersion v : RoomVersions.all()) {
            Map<String, Object> signed = EventSigning.hashAndSign(json(MINIMAL_EVENT), v, "domain", KEY);
            String expected = v.redaction() == RoomVersion.RedactionRules.V11
                    ? "Jxp+1glFcZM+nnHpY0EkedRR7u0VmKsJYGnQqIvqus3UvL5X/p1y6wSkLhGoTBel6MZ9lrMIzUqrjqFquWJKBw"
                    : "KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg";
            assertThat(JsonSigning.signatureOf(signed, "domain", "ed25519:1")).as("room version %s", v.id())
                    .contains(expected);
        }
        Map<String, Object> redactable = EventSigning.hashAndSign(json(REDACTABLE_EVENT), RoomVersions.V11, "domain", KEY);
        assertThat(JsonSigning.signatureOf(redactable, "domain", "ed25519:1")).contains(
                "4WQB/6LN2OtkUN/+18xUNB/U4RTX1N3EeKBdlCxux08YO8izKDrSRqML1XB8V97IK7AujkNO1xMl7TaBLA4kDw");
    }

    @Test
    void computesEventIdsOfTheSignedVectors() {
        Map<String, Object> minimal = EventSigning.hashAndSign(json(MINIMAL_EVENT), RoomVersions.V4, "domain", KEY);
        assertThat(EventIds.compute(minimal, RoomVersions.V4)).isEqualTo("$8yif6p8EqgoSten2BLje9ntKm720NyFLWQv9tn8memc");
        Map<String, Object> redactable = EventSigning.hashAndSign(json(REDACTABLE_EVENT), RoomVersions.V4, "domain", KEY);
        assertThat(EventIds.compute(redactable, RoomVersions.V4)).isEqualTo("$oFAil2fHTGY66j9PIsC3hnc-_6r2SQGxCzd1_FUgtOE");
    }

    @Test
    void signsXMatrixRequestObjects() {
        Map<String, Object> request = Json.objectOf("method", "GET",
                "uri", "/_matrix/federation/v1/make_join/!r:remote/%40a%3Adomain?ver=9&ver=10",
                "origin", "domain", "destination", "remote");
        assertThat(JsonSigning.signature(request, KEY)).isEqualTo(
                "RdkPUUsxIaSW/FEc52E8f0cVTjgPDYlaCIy7yv8DUR+PsU/yiLiejmEo62U1PLBJJwwIeyIbkMm4PTih+u77Bg");
        Map<String, Object> put = Json.objectOf("method", "PUT", "uri", "/_matrix/federation/v1/send/txn1",
                "origin", "domain", "destination", "remote",
                "content", Json.objectOf("origin", "domain", "origin_server_ts", 1000000L, "pdus", List.of()));
        assertThat(JsonSigning.signature(put, KEY)).isEqualTo(
                "jdcJrGLIPQ7Pj0ZYtE7KhbFNBJZHF8lzU7NTZ9se0t8oVN/m099MtR2KEk5aRcxc37YONG7Y7xkZTSdPH/ryDQ");
    }

    @Test
    void unpaddedBase64AcceptsPaddedInputAndBothAlphabets() {
        byte[] bytes = {(byte) 0xfb, (byte) 0xff, 0x01};
        assertThat(UnpaddedBase64.encode(bytes)).isEqualTo("+/8B");
        assertThat(UnpaddedBase64.encodeUrlSafe(bytes)).isEqualTo("-_8B");
        assertThat(UnpaddedBase64.encode(new byte[] {1})).isEqualTo("AQ");
        assertThat(UnpaddedBase64.decode("AQ")).containsExactly(1);
        assertThat(UnpaddedBase64.decode("AQ==")).containsExactly(1);
        assertThat(UnpaddedBase64.decodeUrlSafe("-_8B")).containsExactly(bytes);
    }

    @Test
    void signingKeyNeverPrintsItsSeed() {
        assertThat(KEY.toString()).doesNotContain("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1")
                .contains("XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI");
    }
}
