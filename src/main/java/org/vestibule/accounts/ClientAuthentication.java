package org.vestibule.accounts;

import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.MethodParameter;
import org.springframework.web.bind.support.WebDataBinderFactory;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.method.support.ModelAndViewContainer;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;

/** Resolves a {@link ClientUser} controller parameter from the request's access token. */
@Configuration(proxyBeanMethods = false)
class ClientAuthentication implements WebMvcConfigurer, HandlerMethodArgumentResolver {

    private final AccountService accounts;

    ClientAuthentication(AccountService accounts) {
        this.accounts = accounts;
    }

    @Override
    public void addArgumentResolvers(List<HandlerMethodArgumentResolver> resolvers) {
        resolvers.add(this);
    }

    @Override
    public boolean supportsParameter(MethodParameter parameter) {
        return parameter.getParameterType() == ClientUser.class;
    }

    @Override
    public Object resolveArgument(MethodParameter parameter, ModelAndViewContainer mav, NativeWebRequest request,
                                  WebDataBinderFactory binderFactory) {
        String token = accessToken(request.getNativeRequest(HttpServletRequest.class));
        if (token == null) {
            throw new MatrixException(401, Errcode.MISSING_TOKEN, "Missing access token");
        }
        return accounts.authenticate(token)
                .orElseThrow(() -> new MatrixException(401, Errcode.UNKNOWN_TOKEN, "Unrecognised access token"));
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
