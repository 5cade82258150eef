package org.vestibule.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.SmartFactoryBean;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.context.event.ApplicationStartedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Lazy;
import org.springframework.core.Ordered;
import org.springframework.stereotype.Component;

/**
 * Beans are made when first needed ({@code spring.main.lazy-initialization}), so the listeners
 * open once what a request needs exists; this makes the rest as soon as they are open, before the
 * server reports itself ready for traffic, as Spring would have before opening them. So no request
 * pays for a bean it does not use, a wrong setting still stops the server, and what runs in the
 * background (outbound transactions, resyncs) starts as before.
 */
@Component
@Lazy(false)
class RemainingBeans implements ApplicationListener<ApplicationStartedEvent>, Ordered {

    private static final Logger log = LoggerFactory.getLogger(RemainingBeans.class);

    @Override
    public void onApplicationEvent(ApplicationStartedEvent event) {
        ConfigurableApplicationContext context = event.getApplicationContext();
        try {
            makeAll(context.getBeanFactory(), context::isClosed);
        } catch (RuntimeException e) {
            // A harness may stop a server the moment it answers: the listeners are open before this
            // runs, so a SIGTERM can close the context under it. That is a stop, not a failed start.
            if (!context.isClosed()) {
                throw e;
            }
            log.info("Stopped while starting: {} and later beans were not made", failedBean(e));
        }
    }

    /** Makes every singleton not yet made, and tells those that ask when all singletons exist. */
    static void makeAll(ConfigurableListableBeanFactory beans) {
        makeAll(beans, () -> false);
    }

    /** As {@link #makeAll(ConfigurableListableBeanFactory)}, stopping once {@code closed} is true. */
    static void makeAll(ConfigurableListableBeanFactory beans, BooleanSupplier closed) {
        Set<String> made = Set.of(beans.getSingletonNames());
        List<String> names = List.of(beans.getBeanDefinitionNames());
        for (String name : names) {
            if (closed.getAsBoolean()) {
                return;
            }
            BeanDefinition definition = beans.getMergedBeanDefinition(name);
            if (definition.isAbstract() || !definition.isSingleton() || made.contains(name)) {
                continue;
            }
            if (!beans.isFactoryBean(name)) {
                beans.getBean(name);
            } else if (beans.getBean(BeanFactory.FACTORY_BEAN_PREFIX + name) instanceof SmartFactoryBean<?> factory
                    && factory.isEagerInit()) {
                beans.getBean(name);
            }
        }
        List<SmartInitializingSingleton> waiting = new ArrayList<>();
        for (String name : names) {
            if (!made.contains(name) && beans.getSingleton(name) instanceof SmartInitializingSingleton singleton) {
                waiting.add(singleton);
            }
        }
        for (SmartInitializingSingleton singleton : waiting) {
            if (closed.getAsBoolean()) {
                return;
            }
            singleton.afterSingletonsInstantiated();
        }
    }

    private static String failedBean(RuntimeException e) {
        return e instanceof BeanCreationException creation && creation.getBeanName() != null
                ? "'" + creation.getBeanName() + "'" : "a bean";
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }
}
