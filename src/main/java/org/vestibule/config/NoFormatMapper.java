package org.vestibule.config;

import org.hibernate.type.descriptor.WrapperOptions;
import org.hibernate.type.descriptor.java.JavaType;
import org.hibernate.type.format.FormatMapper;

/**
 * Hibernate's JSON and XML mapper for a schema without JSON or XML columns. Left to itself Hibernate
 * builds a Jackson 2 {@code ObjectMapper} (there because Flyway needs it) at every start, with a
 * service-loader search for modules: ~350 classes and tens of milliseconds for nothing. Our JSON is
 * stored as canonical bytes (the {@code event} module), never through Hibernate.
 */
public final class NoFormatMapper implements FormatMapper {

    @Override
    public <T> T fromString(CharSequence text, JavaType<T> type, WrapperOptions options) {
        throw unmapped(type);
    }

    @Override
    public <T> String toString(T value, JavaType<T> type, WrapperOptions options) {
        throw unmapped(type);
    }

    private static UnsupportedOperationException unmapped(JavaType<?> type) {
        return new UnsupportedOperationException("No entity maps a JSON or XML column (asked for "
                + type.getJavaTypeClass().getName() + "): store JSON as canonical bytes instead");
    }
}
