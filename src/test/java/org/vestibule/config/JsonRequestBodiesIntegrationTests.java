package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.TestNames.unique;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vestibule.event.Json;
import org.vestibule.event.StrictJsonParser;
import org.vestibule.federation.XMatrix;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.TestHomeservers;
import org.vestibule.support.TestHomeservers.Homeserver;

/**
 * Request bodies are JSON whatever their Content-Type: what {@code curl -d '{…}'} sends
 * ({@code application/x-www-form-urlencoded}) reaches every endpoint as the bytes sent, on the
 * client API (POST with and without a query string, PUT) and on the federation API.
 */
class JsonRequestBodiesIntegrationTests {

    /** curl's Content-Type for {@code -d}. */
    static final String CURL = "application/x-www-form-urlencoded";

    static TestHomeservers servers;
    static MatrixClient hs1;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(2);
        hs1 = new MatrixClient(servers.get(0).clientBaseUrl());
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    static byte[] json(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aClientSessionWithCurlsContentType() {
        String name = unique("curl");
        Response registered = hs1.request("POST", "/_matrix/client/v3/register", null, json("{\"username\":\"" + name
                + "\",\"password\":\"pw=1&x=%41\",\"auth\":{\"type\":\"m.login.dummy\"}}"), CURL).expect(200);
        assertThat(registered.string("user_id")).startsWith("@" + name + ":");
        // register?kind=user: a query string too, which once sent Tomcat to decode the body as a form.
        String other = unique("curl");
        hs1.request("POST", "/_matrix/client/v3/register?kind=user", null, json("{\"username\":\"" + other
                + "\",\"password\":\"pw\",\"auth\":{\"type\":\"m.login.dummy\"}}"), CURL).expect(200);

        // The password with '=', '&' and '%' in it arrived as typed: a form decoder would have mangled it.
        Response login = hs1.request("POST", "/_matrix/client/v3/login", null, json("{\"type\":\"m.login.password\","
                + "\"identifier\":{\"type\":\"m.id.user\",\"user\":\"" + name + "\"},\"password\":\"pw=1&x=%41\"}"), CURL)
                .expect(200);
        String token = login.string("access_token");

        String roomId = hs1.request("POST", "/_matrix/client/v3/createRoom", token,
                json("{\"preset\":\"public_chat\",\"name\":\"made with curl\"}"), CURL).expect(200).string("room_id");
        assertThat(hs1.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(roomId) + "/state/m.room.name/", token)
                .expect(200).body()).containsEntry("name", "made with curl");

        Response sent = hs1.request("PUT", "/_matrix/client/v3/rooms/" + MatrixClient.encode(roomId)
                + "/send/m.room.message/curl1", token, json("{\"msgtype\":\"m.text\",\"body\":\"a+b=c%20d\"}"), CURL)
                .expect(200);
        Response event = hs1.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(roomId) + "/event/"
                + MatrixClient.encode(sent.string("event_id")), token).expect(200);
        assertThat(Json.object(event.body(), "content")).containsEntry("body", "a+b=c%20d");

        String otherToken = hs1.request("POST", "/_matrix/client/v3/login", null, json("{\"type\":\"m.login.password\","
                + "\"identifier\":{\"type\":\"m.id.user\",\"user\":\"" + other + "\"},\"password\":\"pw\"}"), CURL)
                .expect(200).string("access_token");
        hs1.request("POST", "/_matrix/client/v3/join/" + MatrixClient.encode(roomId) + "?server_name="
                + MatrixClient.encode(servers.get(0).serverName()), otherToken, json("{\"reason\":\"100% curl\"}"), CURL)
                .expect(200);
        Map<String, Object> member = hs1.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(roomId)
                + "/state/m.room.member/" + MatrixClient.encode("@" + other + ":" + servers.get(0).serverName()), token)
                .expect(200).body();
        assertThat(member).containsEntry("membership", "join").containsEntry("reason", "100% curl");

        // Still strict: what is not JSON is refused as such, whatever it claims to be.
        Response notJson = hs1.request("POST", "/_matrix/client/v3/createRoom", token, json("name=x&preset=y"), CURL);
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(notJson.errcode()).isEqualTo("M_NOT_JSON");
        // And the deprecated access_token query parameter still authenticates such a request.
        hs1.request("POST", "/_matrix/client/v3/createRoom?access_token=" + MatrixClient.encode(token), null,
                json("{}"), CURL).expect(200);
    }

    @Test
    void aSignedFederationRequestWithCurlsContentType() throws Exception {
        Homeserver resident = servers.get(0);
        Homeserver peer = servers.get(1);
        String body = "{\"limit\":5,\"filter\":{\"generic_search_term\":\"100% nothing&x=y\"}}";
        String target = "/_matrix/federation/v1/publicRooms";
        String authorization = XMatrix.sign(peer.bean(ServerKeyring.class).signingKey(), "POST", target,
                peer.serverName(), resident.serverName(), StrictJsonParser.parseObject(json(body), StrictJsonParser.Limits.REQUEST));
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(resident.clientBaseUrl() + target))
                .header("Authorization", authorization).header("Content-Type", CURL)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("\"chunk\":[]");
    }
}
