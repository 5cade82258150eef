package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.EventListener;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.MethodIntrospector.MetadataLookup;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.ClassUtils;
import org.vestibule.support.TestHomeservers;

/**
 * Without the processor of {@code @EventListener} methods (NoEventListenerMethods), such a method
 * would silently never run: no bean has one, and our start-up work listens as an ApplicationListener.
 */
class EventListenersIntegrationTests {

    static final TestHomeservers servers = TestHomeservers.start(1);

    @AfterAll
    static void stop() {
        servers.close();
    }

    @Test
    void theProcessorOfEventListenerMethodsIsNotMade() {
        ConfigurableListableBeanFactory beans = servers.get(0).context().getBeanFactory();
        for (String name : NoEventListenerMethods.PROCESSOR) {
            assertThat(beans.containsBeanDefinition(name)).as(name).isFalse();
        }
    }

    @Test
    void noBeanHasAnEventListenerMethod() {
        ConfigurableListableBeanFactory beans = servers.get(0).context().getBeanFactory();
        List<String> found = new ArrayList<>();
        int looked = 0;
        for (String name : beans.getBeanDefinitionNames()) {
            Class<?> type = beans.getType(name, false);
            if (type == null) {
                continue;
            }
            looked++;
            Map<Method, EventListener> methods = MethodIntrospector.selectMethods(ClassUtils.getUserClass(type),
                    (MetadataLookup<EventListener>) m -> AnnotatedElementUtils.findMergedAnnotation(m, EventListener.class));
            methods.keySet().forEach(m -> found.add(name + ": " + m));
        }
        assertThat(looked).as("bean types looked at").isGreaterThan(300);
        assertThat(found).as("@EventListener methods, which are never called here: implement ApplicationListener")
                .isEmpty();
    }

    @Test
    void theStartUpWorkListensForReady() {
        assertThat(servers.get(0).context().getBeanNamesForType(ApplicationListener.class))
                .contains("typing", "presence", "transactionQueue", "restartAnnouncement", "partialStateResync",
                        "databaseRecoveryAnnouncement");
    }
}
