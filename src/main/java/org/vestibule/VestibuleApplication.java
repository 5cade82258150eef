package org.vestibule;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.autoconfigure.context.MessageSourceAutoConfiguration;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.boot.data.autoconfigure.metrics.DataRepositoryMetricsAutoConfiguration;
import org.springframework.boot.data.autoconfigure.web.DataWebAutoConfiguration;
import org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration;
import org.springframework.boot.persistence.autoconfigure.PersistenceExceptionTranslationAutoConfiguration;
import org.springframework.boot.tomcat.autoconfigure.metrics.TomcatMetricsAutoConfiguration;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;

/** Vestibule: a Matrix homeserver whose heart is federation joins. */
// Flyway runs only when the schema is behind: config.SchemaMigrations, not Boot's always-on initializer.
// The others make what nothing here uses (AspectJ aspects, Spring Data's web binding, a
// second endpoint ObjectMapper on Jackson 2, which is there for Flyway) or time every repository call;
// Tomcat's meters are only its HTTP sessions here (none: the APIs are stateless), and binding them
// made the JVM's platform MBean server, ~40 ms of every start. Nor is there an SSL bundle (the
// listener's TLS is config.FederationListenerConfiguration's), a @Scheduled method or JTA. Transactions
// are begun with config.Transactions' template, so nothing proxies @Transactional beans; our
// @Repository classes work through JdbcTemplate, which translates SQL errors itself, so nor are they
// proxied for it (Spring Data's repositories translate JPA's errors from their own factory). Nothing
// here is translated either: Boot's message source came only from the messages.properties of dnsjava.
@SpringBootApplication(
        exclude = {FlywayAutoConfiguration.class, AopAutoConfiguration.class, DataWebAutoConfiguration.class,
                MessageSourceAutoConfiguration.class,
                DataRepositoryMetricsAutoConfiguration.class, TomcatMetricsAutoConfiguration.class,
                TransactionAutoConfiguration.class, PersistenceExceptionTranslationAutoConfiguration.class},
        excludeName = {"org.springframework.boot.actuate.autoconfigure.endpoint.jackson.Jackson2EndpointAutoConfiguration",
                "org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration",
                "org.springframework.boot.health.autoconfigure.application.SslHealthContributorAutoConfiguration",
                "org.springframework.boot.micrometer.metrics.autoconfigure.ssl.SslMetricsAutoConfiguration",
                "org.springframework.boot.autoconfigure.task.TaskSchedulingAutoConfiguration",
                "org.springframework.boot.micrometer.observation.autoconfigure.ScheduledTasksObservationAutoConfiguration",
                "org.springframework.boot.transaction.jta.autoconfigure.JtaAutoConfiguration"})
@ConfigurationPropertiesScan
public class VestibuleApplication {

    public static void main(String[] args) {
        SpringApplication.run(VestibuleApplication.class, args);
    }
}
