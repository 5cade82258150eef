package org.vestibule.federation.inbound;

import org.springframework.core.MethodParameter;
import org.springframework.web.bind.support.WebDataBinderFactory;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.method.support.ModelAndViewContainer;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;

/** Supplies the authenticated {@link Origin} to controller methods that declare it. */
final class OriginArgumentResolver implements HandlerMethodArgumentResolver {

    @Override
    public boolean supportsParameter(MethodParameter parameter) {
        return parameter.getParameterType() == Origin.class;
    }

    @Override
    public Origin resolveArgument(MethodParameter parameter, ModelAndViewContainer mavContainer, NativeWebRequest request,
                                  WebDataBinderFactory binderFactory) {
        if (request.getAttribute(Origin.ATTRIBUTE, RequestAttributes.SCOPE_REQUEST) instanceof Origin origin) {
            return origin;
        }
        // A controller outside /_matrix/federation/ asked for an Origin: nothing authenticated the request.
        throw new MatrixException(401, Errcode.UNAUTHORIZED, "This request is not an authenticated federation request");
    }
}
