package org.vestibule.accounts;

import jakarta.servlet.http.HttpServletRequest;
import java.lang.reflect.ParameterizedType;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.MethodParameter;
import org.springframework.util.function.SingletonSupplier;
import org.springframework.web.bind.support.WebDataBinderFactory;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.method.support.ModelAndViewContainer;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;

/**
 * Resolves a {@link ClientUser} (or {@code Optional<ClientUser>}) controller parameter from the
 * request's access token, and records the device as seen.
 */
@Configuration(proxyBeanMethods = false)
class ClientAuthentication implements WebMvcConfigurer, HandlerMethodArgumentResolver {

    // Asked for at the first request: Spring MVC's set-up, before the server answers, needs no JPA.
    private final Supplier<AccountService> accounts;

    ClientAuthentication(ObjectProvider<AccountService> accounts) {
        this.accounts = SingletonSupplier.of(accounts::getObject);
    }

    @Override
    public void addArgumentResolvers(List<HandlerMethodArgumentResolver> resolvers) {
        resolvers.add(this);
    }

    @Override
    public boolean supportsParameter(MethodParameter parameter) {
        // Optional<ClientUser>: endpoints the spec leaves open, which do more for a user who gives a token.
        return parameter.getParameterType() == ClientUser.class || (parameter.getParameterType() == Optional.class
                && parameter.getGenericParameterType() instanceof ParameterizedType p
                && p.getActualTypeArguments()[0] == ClientUser.class);
    }

    @Override
    public Object resolveArgument(MethodParameter parameter, ModelAndViewContainer mav, NativeWebRequest request,
                                  WebDataBinderFactory binderFactory) {
        HttpServletRequest http = request.getNativeRequest(HttpServletRequest.class);
        String token = accessToken(http);
        if (parameter.getParameterType() == Optional.class && token == null) {
            return Optional.empty();
        }
        if (token == null) {
            throw new MatrixException(401, Errcode.MISSING_TOKEN, "Missing access token");
        }
        ClientUser user = accounts.get().authenticate(token, http.getRemoteAddr())
                .orElseThrow(() -> new MatrixException(401, Errcode.UNKNOWN_TOKEN, "Unrecognised access token"));
        return parameter.getParameterType() == Optional.class ? Optional.of(user) : user;
    }

    /** The access token from the Authorization header or the deprecated access_token query parameter. */
    static String accessToken(HttpServletRequest request) {
        String header = request.getHeader("Authorization");
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return header.substring(7).trim();
        }
        String param = request.getParameter("access_token");
        return param == null || param.isBlank() ? null : param;
    }
}
