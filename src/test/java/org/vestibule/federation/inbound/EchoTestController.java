package org.vestibule.federation.inbound;

import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RestController;

/**
 * Test-only federation endpoint: answers who the authenticated origin is and what body the
 * controller could still read. Found by component scanning of the test classpath.
 */
@RestController
class EchoTestController {

    static final AtomicInteger calls = new AtomicInteger();

    @RequestMapping(value = "/_matrix/federation/v1/test/echo/**",
            method = {RequestMethod.GET, RequestMethod.PUT, RequestMethod.POST})
    Map<String, Object> echo(Origin origin, HttpServletRequest request, @RequestBody(required = false) byte[] body) {
        calls.incrementAndGet();
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("origin", origin.serverName());
        answer.put("method", request.getMethod());
        answer.put("uri", request.getRequestURI() + (request.getQueryString() != null ? "?" + request.getQueryString() : ""));
        answer.put("body", body == null ? null : new String(body, StandardCharsets.UTF_8));
        return answer;
    }
}
