package org.vestibule.config;

import jakarta.servlet.http.HttpServletRequest;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.http.server.PathContainer;
import org.springframework.web.cors.CorsUtils;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.mvc.condition.PathPatternsRequestCondition;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.util.ServletRequestPathUtils;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;

/**
 * Spring MVC's handler lookup, tried first among the mappings whose patterns begin with the
 * request path's own literal segments. For a path with variables in it (make_join, send_join,
 * every {@code /rooms/{roomId}/…}) Spring tests all of our ~120 mappings in turn, ~12% of a
 * make_join's CPU under C1. When exactly one candidate matches, no mapping outside them can (its literal
 * segments differ from the path's), so it is the one Spring would choose. Anything else (no
 * match, several, a CORS preflight) goes to Spring's own lookup, so its choices and its errors
 * (404, 405, 415, ambiguity) are unchanged.
 */
final class IndexedHandlerMapping extends RequestMappingHandlerMapping {

    /** A mapping and the handler method Spring registered for it. */
    record Candidate(RequestMappingInfo mapping, HandlerMethod handler) {}

    /**
     * Mappings by the literal segments their patterns begin with. Each node holds, worked out once,
     * every mapping whose literal segments are a prefix of the node's path: the candidates for any
     * request path that leads to it and no further.
     */
    static final class Node {
        private final Map<String, Node> children = new HashMap<>();
        private final List<Candidate> own = new ArrayList<>();
        private List<Candidate> candidates = List.of();

        /** The candidates for a request path: those of the deepest node its leading segments reach. */
        List<Candidate> candidatesFor(List<String> segments) {
            Node node = this;
            for (String segment : segments) {
                Node child = node.children.get(segment);
                if (child == null) {
                    break;
                }
                node = child;
            }
            return node.candidates;
        }

        static Node of(Map<RequestMappingInfo, HandlerMethod> handlerMethods) {
            Node root = new Node();
            handlerMethods.forEach((mapping, handler) -> {
                Candidate candidate = new Candidate(mapping, handler);
                PathPatternsRequestCondition paths = mapping.getPathPatternsCondition();
                if (paths == null || paths.getPatterns().isEmpty()) {
                    root.own.add(candidate);
                    return;
                }
                for (PathPattern pattern : paths.getPatterns()) {
                    root.nodeFor(literalPrefix(pattern.getPatternString())).own.add(candidate);
                }
            });
            root.gather(List.of());
            return root;
        }

        private Node nodeFor(List<String> literals) {
            Node node = this;
            for (String literal : literals) {
                node = node.children.computeIfAbsent(literal, k -> new Node());
            }
            return node;
        }

        private void gather(List<Candidate> above) {
            Set<Candidate> all = new LinkedHashSet<>(above);
            all.addAll(own);
            candidates = List.copyOf(all);
            children.values().forEach(child -> child.gather(candidates));
        }
    }

    /**
     * Before the actuator's mappings (-100), which Spring would otherwise ask first about every
     * request (~2% of a make_join's CPU); no path of ours is under {@code /actuator}, so those
     * requests still reach them, after one lookup here that finds nothing.
     */
    static final int ORDER = -200;

    private volatile Node index;

    /** The segments of a pattern up to its first one with a variable or a wildcard. */
    static List<String> literalPrefix(String pattern) {
        List<String> literals = new ArrayList<>();
        if (pattern.isEmpty()) {
            return literals; // matches only the empty path, which leads to the root
        }
        String path = pattern.startsWith("/") ? pattern.substring(1) : pattern;
        for (String segment : path.split("/", -1)) {
            if (segment.indexOf('{') >= 0 || segment.indexOf('*') >= 0 || segment.indexOf('?') >= 0) {
                break;
            }
            literals.add(segment);
        }
        return literals;
    }

    /** A request path's segments as patterns see them: decoded, without path parameters. */
    static List<String> segments(PathContainer path) {
        List<String> segments = new ArrayList<>();
        for (PathContainer.Element element : path.elements()) {
            if (element instanceof PathContainer.PathSegment segment) {
                segments.add(segment.valueToMatch());
            }
        }
        return segments;
    }

    @Override
    protected void handlerMethodsInitialized(Map<RequestMappingInfo, HandlerMethod> handlerMethods) {
        super.handlerMethodsInitialized(handlerMethods);
        index = indexable() ? Node.of(handlerMethods) : null;
    }

    @Override
    public void registerMapping(RequestMappingInfo mapping, Object handler, Method method) {
        super.registerMapping(mapping, handler, method);
        index = indexable() ? Node.of(getHandlerMethods()) : null;
    }

    @Override
    public void unregisterMapping(RequestMappingInfo mapping) {
        super.unregisterMapping(mapping);
        index = indexable() ? Node.of(getHandlerMethods()) : null;
    }

    /** Literal segments compare as written only with Spring's default, case-sensitive patterns. */
    private boolean indexable() {
        PathPatternParser parser = getPatternParser();
        return parser != null && parser.isCaseSensitive();
    }

    @Override
    public int getOrder() {
        return ORDER; // WebMvcConfigurationSupport sets 0 after making the mapping
    }

    /** The index, or null when there is none. */
    Node index() {
        return index;
    }

    /** Spring's own lookup, for the test that checks that both choose alike. */
    HandlerMethod lookupAsSpringDoes(String lookupPath, HttpServletRequest request) throws Exception {
        return super.lookupHandlerMethod(lookupPath, request);
    }

    @Override
    protected HandlerMethod lookupHandlerMethod(String lookupPath, HttpServletRequest request) throws Exception {
        Node root = index;
        if (root != null && ServletRequestPathUtils.hasParsedRequestPath(request) && !CorsUtils.isPreFlightRequest(request)) {
            List<String> segments = segments(ServletRequestPathUtils.getParsedRequestPath(request).pathWithinApplication());
            RequestMappingInfo only = null;
            HandlerMethod handler = null;
            int matches = 0;
            for (Candidate candidate : root.candidatesFor(segments)) {
                RequestMappingInfo match = getMatchingMapping(candidate.mapping(), request);
                if (match != null && ++matches == 1) {
                    only = match;
                    handler = candidate.handler();
                }
            }
            if (matches == 1) {
                request.setAttribute(BEST_MATCHING_HANDLER_ATTRIBUTE, handler);
                handleMatch(only, lookupPath, request);
                return handler;
            }
        }
        return super.lookupHandlerMethod(lookupPath, request);
    }
}
