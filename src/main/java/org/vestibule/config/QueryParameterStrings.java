package org.vestibule.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.core.MethodParameter;
import org.springframework.core.ResolvableType;
import org.springframework.util.StringUtils;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ValueConstants;
import org.springframework.web.bind.support.WebDataBinderFactory;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.method.support.ModelAndViewContainer;
import org.springframework.web.multipart.MultipartRequest;

/**
 * {@code @RequestParam String} and {@code @RequestParam List<String>} arguments without a default,
 * read straight from the request's parameters, with the values Spring's resolver gives: one value
 * as it is (a list splits it at commas and trims the parts), several joined with commas (a list
 * keeps them). Spring's resolver checks each for multipart files and converts through a data binder
 * even for String to String: ~6% of a make_join's CPU under C1. Multipart requests go to Spring's.
 */
final class QueryParameterStrings implements HandlerMethodArgumentResolver {

    /** A parameter's name, whether it must be there and whether it is a list, worked out once. */
    private record Parameter(String name, boolean required, boolean list) {}

    private final HandlerMethodArgumentResolver springs;
    private final Map<MethodParameter, Parameter> parameters = new ConcurrentHashMap<>();

    QueryParameterStrings(HandlerMethodArgumentResolver springs) {
        this.springs = springs;
    }

    @Override
    public boolean supportsParameter(MethodParameter parameter) {
        RequestParam annotation = parameter.getParameterAnnotation(RequestParam.class);
        return annotation != null && annotation.defaultValue().equals(ValueConstants.DEFAULT_NONE)
                && (parameter.getParameterType() == String.class || isListOfStrings(parameter));
    }

    private static boolean isListOfStrings(MethodParameter parameter) {
        return parameter.getParameterType() == List.class
                && ResolvableType.forMethodParameter(parameter).getGeneric(0).resolve() == String.class;
    }

    @Override
    public Object resolveArgument(MethodParameter parameter, ModelAndViewContainer mavContainer, NativeWebRequest request,
                                  WebDataBinderFactory binderFactory) throws Exception {
        if (request.getNativeRequest(MultipartRequest.class) != null) {
            return springs.resolveArgument(parameter, mavContainer, request, binderFactory);
        }
        Parameter p = parameters.computeIfAbsent(parameter, QueryParameterStrings::describe);
        String[] values = request.getParameterValues(p.name());
        if (values == null) {
            if (p.required()) {
                throw new MissingServletRequestParameterException(p.name(), parameter, false);
            }
            return null;
        }
        if (!p.list()) {
            return values.length == 1 ? values[0] : String.join(",", values);
        }
        if (values.length > 1) {
            return new ArrayList<>(Arrays.asList(values));
        }
        List<String> parts = new ArrayList<>();
        for (String part : StringUtils.commaDelimitedListToStringArray(values[0])) {
            parts.add(part.trim());
        }
        return parts;
    }

    private static Parameter describe(MethodParameter parameter) {
        RequestParam annotation = parameter.getParameterAnnotation(RequestParam.class);
        String name = PathVariableStrings.nameOf(parameter, annotation.name(), "request parameter", "@RequestParam");
        return new Parameter(name, annotation.required(), parameter.getParameterType() == List.class);
    }
}
