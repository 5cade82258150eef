package org.vestibule.support;

import org.springframework.boot.test.util.TestPropertyValues;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Gives each test context its own database on the shared test PostgreSQL, its own data folder,
 * and a free port for the HTTPS listener; its federation client trusts the test CA and may
 * connect to loopback, where test peers run. An initializer, not a container bean, so that the
 * datasource URL is known before the embedded-database fallback decides to back off.
 */
public class VestibuleTestInitializer implements ApplicationContextInitializer<ConfigurableApplicationContext> {

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        TestPropertyValues.of(
                "spring.datasource.url=" + TestDatabase.newDatabase("ctx"),
                "spring.datasource.username=" + TestDatabase.server().username(),
                "spring.datasource.password=" + TestDatabase.server().password(),
                "spring.datasource.hikari.maximum-pool-size=10",
                "spring.test.database.replace=none",
                "vestibule.data-dir=" + TestDirectories.create("context-"),
                "vestibule.tls.port=0",
                "vestibule.federation.allow-private-addresses=true",
                "vestibule.federation.tls.trusted-ca=" + TestCertificates.caPem()).applyTo(context);
    }
}
