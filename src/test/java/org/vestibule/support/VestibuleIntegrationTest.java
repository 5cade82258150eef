package org.vestibule.support;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.ContextConfiguration;

/**
 * A whole Vestibule on a random port against its own database on the test PostgreSQL, with rate
 * limits off (tests that exercise them start their own context with them on).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"vestibule.server-name=test.vestibule.invalid", "vestibule.rate-limits.enabled=false"})
@ContextConfiguration(initializers = VestibuleTestInitializer.class)
public @interface VestibuleIntegrationTest {
}
