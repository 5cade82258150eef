package org.vestibule.config;

import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.MediaType;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.accept.ContentNegotiationStrategy;
import org.springframework.web.accept.HeaderContentNegotiationStrategy;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.servlet.config.annotation.ContentNegotiationConfigurer;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The Matrix APIs answer JSON whatever the request's {@code Accept} says, as other homeservers do:
 * Spring's negotiation answered a browser's {@code Accept: text/html} with an empty 406, and an
 * {@code Accept} it could not parse with an empty 500. Only the actuator's endpoints, whose
 * formats differ (Prometheus's text or OpenMetrics), still choose by {@code Accept}; what they
 * cannot answer is a 406 with a Matrix error body.
 */
@Configuration(proxyBeanMethods = false)
class JsonAnswers implements WebMvcConfigurer {

    /** JSON first; the rest (a media download's own type) stays possible. */
    static final List<MediaType> JSON_FIRST = List.of(MediaType.APPLICATION_JSON, MediaType.ALL);

    @Override
    public void configureContentNegotiation(ContentNegotiationConfigurer negotiation) {
        negotiation.strategies(List.of(new MatrixOrActuator()));
    }

    static final class MatrixOrActuator implements ContentNegotiationStrategy {

        private final HeaderContentNegotiationStrategy header = new HeaderContentNegotiationStrategy();

        @Override
        public List<MediaType> resolveMediaTypes(NativeWebRequest request) throws HttpMediaTypeNotAcceptableException {
            return isActuator(request) ? header.resolveMediaTypes(request) : JSON_FIRST;
        }

        private static boolean isActuator(NativeWebRequest request) {
            Object servlet = request.getNativeRequest();
            return servlet instanceof HttpServletRequest http
                    && http.getRequestURI().startsWith("/actuator");
        }
    }
}
