package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.MethodParameter;
import org.springframework.http.server.PathContainer;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.web.bind.MissingPathVariableException;
import org.springframework.web.context.request.ServletWebRequest;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.method.annotation.RequestParamMethodArgumentResolver;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.method.support.ModelAndViewContainer;
import org.springframework.web.servlet.DispatcherServlet;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.PathVariableMethodArgumentResolver;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.servlet.mvc.method.annotation.ServletRequestDataBinderFactory;
import org.springframework.web.util.ServletRequestPathUtils;
import org.springframework.web.util.UriUtils;
import org.springframework.web.util.pattern.PathPattern;
import org.vestibule.support.TestHomeservers;

/**
 * The indexed handler lookup chooses as Spring's own does, for a request to every pattern of every
 * controller method with each HTTP method, for paths no pattern has, and for a path with a
 * trailing slash or an encoded segment; and a federation path has only a few candidates to test.
 * The adapter's own resolvers for path variables and query parameters give what Spring's give.
 */
class IndexedHandlerMappingIntegrationTests {

    private static final Pattern VARIABLE = Pattern.compile("\\{([^}:]+)(?::([^}]*))?}");
    private static final List<String> METHODS = List.of("GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD");

    static TestHomeservers servers;
    static IndexedHandlerMapping mapping;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(1);
        RequestMappingHandlerMapping bean = servers.get(0).context()
                .getBean("requestMappingHandlerMapping", RequestMappingHandlerMapping.class);
        assertThat(bean).isInstanceOf(IndexedHandlerMapping.class);
        mapping = (IndexedHandlerMapping) bean;
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    /** A path a pattern matches: each variable a plain value, or the first of its alternatives. */
    static String example(String pattern) {
        Matcher m = VARIABLE.matcher(pattern);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String regex = m.group(2);
            m.appendReplacement(out, Matcher.quoteReplacement(regex == null ? "x1" : regex.split("\\|")[0]));
        }
        m.appendTail(out);
        return out.toString().replace("/**", "/a/b").replace("*", "a");
    }

    /** What a lookup chose: the handler and its path variables, or the exception it threw. */
    record Choice(String handler, Object variables, String error) {}

    static Choice choose(String method, String path, boolean spring) {
        MockHttpServletRequest request = new MockHttpServletRequest(method, path);
        request.addHeader("Content-Type", "application/json");
        ServletRequestPathUtils.parseAndCache(request);
        String lookupPath = ServletRequestPathUtils.getParsedRequestPath(request).pathWithinApplication().value();
        try {
            HandlerMethod found = spring ? mapping.lookupAsSpringDoes(lookupPath, request)
                    : mapping.lookupHandlerMethod(lookupPath, request);
            return new Choice(found == null ? null : found.toString(),
                    request.getAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE), null);
        } catch (Exception e) {
            return new Choice(null, null, e.getClass().getName() + ": " + e.getMessage());
        }
    }

    @Test
    void everyMappedPathWithEveryMethodGoesWhereSpringSendsIt() {
        TreeSet<String> paths = new TreeSet<>();
        for (RequestMappingInfo info : mapping.getHandlerMethods().keySet()) {
            String method = info.getMethodsCondition().getMethods().stream().findFirst().map(Enum::name).orElse("GET");
            for (PathPattern pattern : info.getPathPatternsCondition().getPatterns()) {
                String path = example(pattern.getPatternString());
                // Its own path with its own method reaches a handler: the comparison below is not of two misses.
                assertThat(choose(method, path, false).handler()).as(method + " " + path).isNotNull();
                paths.add(path);
                paths.add(path + "/");
                paths.add(path + "/extra");
            }
        }
        paths.addAll(List.of("/", "/nothing", "/_matrix", "/_matrix/federation/v1/nothing/x",
                "/_matrix/federation/v1/make%5Fjoin/x/y", "/_matrix/client/v9/sync", "/_matrix/client/v3/rooms/x;a=b/state"));
        List<String> checked = new ArrayList<>();
        for (String path : paths) {
            for (String method : METHODS) {
                Choice ours = choose(method, path, false);
                Choice springs = choose(method, path, true);
                assertThat(ours).as(method + " " + path).isEqualTo(springs);
                checked.add(method + " " + path);
            }
        }
        assertThat(checked).hasSizeGreaterThan(1_000);
    }

    @Test
    void pathVariableStringsAreWhatSpringsResolverGivesForEveryMapping() throws Exception {
        Resolvers pair = Resolvers.at(0, PathVariableStrings.class, PathVariableMethodArgumentResolver.class);
        HandlerMethodArgumentResolver ours = pair.ours();
        HandlerMethodArgumentResolver springs = pair.springs();
        ServletRequestDataBinderFactory binders = pair.binders();
        int compared = 0;
        for (Map.Entry<RequestMappingInfo, HandlerMethod> entry : mapping.getHandlerMethods().entrySet()) {
            for (PathPattern pattern : entry.getKey().getPathPatternsCondition().getPatterns()) {
                // Encoded and non-ASCII values, as Matrix IDs in paths are.
                String path = example(pattern.getPatternString()).replace("x1", "%21r%C3%A9%3Aexample.org%2Fa%20b");
                MockHttpServletRequest request = new MockHttpServletRequest("GET", path);
                request.setAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE,
                        pattern.matchAndExtract(PathContainer.parsePath(path)) == null ? Map.of()
                                : decoded(pattern.matchAndExtract(PathContainer.parsePath(path)).getUriVariables()));
                ServletWebRequest web = new ServletWebRequest(request);
                for (MethodParameter parameter : entry.getValue().getMethodParameters()) {
                    parameter.initParameterNameDiscovery(new DefaultParameterNameDiscoverer());
                    if (!ours.supportsParameter(parameter)) {
                        continue;
                    }
                    Object mine = ours.resolveArgument(parameter, new ModelAndViewContainer(), web, binders);
                    Object theirs = springs.resolveArgument(parameter, new ModelAndViewContainer(), web, binders);
                    assertThat(mine).as(entry.getValue() + " " + parameter).isEqualTo(theirs);
                    if (mine != null) { // null: an optional variable this pattern lacks
                        compared++;
                    }
                }
            }
        }
        assertThat(compared).isGreaterThan(100);
        // A variable the mapping did not give is Spring's error, not a null.
        MethodParameter roomId = mapping.getHandlerMethods().values().stream()
                .filter(h -> h.getMethod().getName().equals("makeJoin")).findFirst().orElseThrow().getMethodParameters()[1];
        roomId.initParameterNameDiscovery(new DefaultParameterNameDiscoverer());
        MockHttpServletRequest empty = new MockHttpServletRequest("GET", "/");
        empty.setAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE, Map.of());
        assertThatThrownBy(() -> ours.resolveArgument(roomId, new ModelAndViewContainer(), new ServletWebRequest(empty), binders))
                .isInstanceOf(MissingPathVariableException.class).hasMessageContaining("roomId");
    }

    @Test
    void queryParameterStringsAreWhatSpringsResolverGivesForEveryMapping() throws Exception {
        Resolvers pair = Resolvers.at(1, QueryParameterStrings.class, RequestParamMethodArgumentResolver.class);
        HandlerMethodArgumentResolver ours = pair.ours();
        HandlerMethodArgumentResolver springs = pair.springs();
        ServletRequestDataBinderFactory binders = pair.binders();
        // Absent, empty, one value, commas with and without spaces, several values, non-ASCII.
        List<List<String>> queries = List.of(List.of(), List.of(""), List.of("a"), List.of("a,b"), List.of(" a , b ,"),
                List.of("a", "b"), List.of("a,b", "c"), List.of("!ré:example.org"), List.of(",,"));
        int compared = 0;
        for (HandlerMethod handler : mapping.getHandlerMethods().values()) {
            for (MethodParameter parameter : handler.getMethodParameters()) {
                parameter.initParameterNameDiscovery(new DefaultParameterNameDiscoverer());
                if (!ours.supportsParameter(parameter)) {
                    continue;
                }
                String name = parameterName(parameter);
                for (List<String> values : queries) {
                    MockHttpServletRequest request = new MockHttpServletRequest("GET", "/");
                    if (!values.isEmpty()) {
                        request.addParameter(name, values.toArray(String[]::new));
                    }
                    request.addParameter("unrelated", "z");
                    ServletWebRequest web = new ServletWebRequest(request);
                    assertThat(outcome(ours, parameter, web, binders)).as(handler + " " + parameter + " " + values)
                            .isEqualTo(outcome(springs, parameter, web, binders));
                    compared++;
                }
            }
        }
        assertThat(compared).isGreaterThan(200);
    }

    /** Our resolver at its place in the adapter's list, Spring's that it stands in for, and a binder factory. */
    record Resolvers(HandlerMethodArgumentResolver ours, HandlerMethodArgumentResolver springs,
                     ServletRequestDataBinderFactory binders) {
        static Resolvers at(int index, Class<?> ourClass, Class<?> springClass) {
            RequestMappingHandlerAdapter adapter = servers.get(0).context().getBean(RequestMappingHandlerAdapter.class);
            List<HandlerMethodArgumentResolver> resolvers = adapter.getArgumentResolvers();
            assertThat(resolvers.get(index)).isInstanceOf(ourClass);
            return new Resolvers(resolvers.get(index),
                    resolvers.stream().filter(r -> r.getClass() == springClass).findFirst().orElseThrow(),
                    new ServletRequestDataBinderFactory(List.of(), adapter.getWebBindingInitializer()));
        }
    }

    /** A resolver's value for a parameter, or the class and message of what it threw. */
    static Object outcome(HandlerMethodArgumentResolver resolver, MethodParameter parameter, ServletWebRequest request,
                          ServletRequestDataBinderFactory binders) {
        try {
            return resolver.resolveArgument(parameter, new ModelAndViewContainer(), request, binders);
        } catch (Exception e) {
            return e.getClass().getName() + ": " + e.getMessage();
        }
    }

    /** The name a {@code @RequestParam} parameter is read by. */
    static String parameterName(MethodParameter parameter) {
        String name = parameter.getParameterAnnotation(RequestParam.class).name();
        return name.isEmpty() ? parameter.getParameterName() : name;
    }

    /** URI variables as the handler mapping stores them: percent-decoded. */
    static Map<String, String> decoded(Map<String, String> variables) {
        Map<String, String> out = new HashMap<>();
        variables.forEach((k, v) -> out.put(k, UriUtils.decode(v, StandardCharsets.UTF_8)));
        return out;
    }

    /** A handler for mappings registered while the server runs. */
    static final class Extra {
        public String special() {
            return "special";
        }
    }

    @Test
    void whenTwoMappingsMatchSpringChoosesAndAMappingAddedLaterIsIndexed() throws Exception {
        RequestMappingInfo special = RequestMappingInfo.paths("/_matrix/federation/v1/make_join/special/{userId}")
                .methods(RequestMethod.GET).options(mapping.getBuilderConfiguration()).build();
        mapping.registerMapping(special, new Extra(), Extra.class.getMethod("special"));
        try {
            // make_join/{roomId}/{userId} matches too; Spring prefers the more specific pattern.
            Choice ours = choose("GET", "/_matrix/federation/v1/make_join/special/x1", false);
            assertThat(ours).isEqualTo(choose("GET", "/_matrix/federation/v1/make_join/special/x1", true));
            assertThat(ours.handler()).contains("Extra#special");
            assertThat(choose("GET", "/_matrix/federation/v1/make_join/other/x1", false).handler()).contains("makeJoin");
        } finally {
            mapping.unregisterMapping(special);
        }
        assertThat(choose("GET", "/_matrix/federation/v1/make_join/special/x1", false).handler()).contains("makeJoin");
    }

    @Test
    void aFederationPathHasOnlyTheMappingsOfItsOwnSegmentsToTest() {
        IndexedHandlerMapping.Node index = mapping.index();
        assertThat(index).isNotNull();
        List<IndexedHandlerMapping.Candidate> candidates = index.candidatesFor(
                List.of("_matrix", "federation", "v1", "make_join", "!room:example.org", "@user:example.org"));

        assertThat(candidates).extracting(c -> c.handler().getMethod().getName()).containsExactly("makeJoin");
        assertThat(mapping.getHandlerMethods()).hasSizeGreaterThan(50);
    }

    @Test
    void theDispatcherAsksItBeforeTheActuatorsMappingsWhichStillAnswerTheirPaths() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        for (String path : List.of("/actuator/health", "/actuator/prometheus")) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    URI.create(servers.get(0).clientBaseUrl() + path)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(path).isEqualTo(200);
        }
        // The servlet finds its mappings at its first request.
        List<HandlerMapping> mappings = servers.get(0).context().getBean(DispatcherServlet.class).getHandlerMappings();
        assertThat(mappings).isNotEmpty();
        assertThat(mappings.get(0)).isSameAs(mapping);
    }

    @Test
    void literalPrefixesStopAtTheFirstVariableOrWildcard() {
        assertThat(IndexedHandlerMapping.literalPrefix("/_matrix/federation/v1/make_join/{roomId}/{userId}"))
                .containsExactly("_matrix", "federation", "v1", "make_join");
        assertThat(IndexedHandlerMapping.literalPrefix("/_matrix/client/{v:v3|r0}/sync")).containsExactly("_matrix", "client");
        assertThat(IndexedHandlerMapping.literalPrefix("/_matrix/media/**")).containsExactly("_matrix", "media");
        assertThat(IndexedHandlerMapping.literalPrefix("/a/b?c")).containsExactly("a");
        assertThat(IndexedHandlerMapping.literalPrefix("/_matrix/client/v3/pushrules/")).containsExactly("_matrix", "client", "v3",
                "pushrules", "");
        assertThat(IndexedHandlerMapping.literalPrefix("")).isEmpty();
    }
}
