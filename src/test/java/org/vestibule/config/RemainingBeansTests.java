package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.BeanCreationNotAllowedException;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.event.ApplicationStartedEvent;
import org.springframework.context.support.GenericApplicationContext;
import org.vestibule.support.TestHomeservers;

/**
 * Beans are made lazily while the server starts, and {@link RemainingBeans} makes every other
 * singleton once the listeners are open: a started server has no singleton left unmade, and a
 * wrong setting of a bean no request needed yet still stops the start.
 */
class RemainingBeansTests {

    static final AtomicInteger told = new AtomicInteger();

    static final class Waiting implements SmartInitializingSingleton {
        @Override
        public void afterSingletonsInstantiated() {
            told.incrementAndGet();
        }
    }

    @Test
    void makesLazySingletonsAndTellsThoseThatWait() {
        DefaultListableBeanFactory beans = new DefaultListableBeanFactory();
        beans.registerBeanDefinition("list", lazy(new RootBeanDefinition(ArrayList.class)));
        beans.registerBeanDefinition("waiting", lazy(new RootBeanDefinition(Waiting.class)));
        RootBeanDefinition prototype = new RootBeanDefinition(ArrayList.class);
        prototype.setScope(BeanDefinition.SCOPE_PROTOTYPE);
        beans.registerBeanDefinition("prototype", prototype);
        RootBeanDefinition abstractOne = new RootBeanDefinition(ArrayList.class);
        abstractOne.setAbstract(true);
        beans.registerBeanDefinition("abstract", abstractOne);
        beans.preInstantiateSingletons();
        assertThat(beans.getSingletonNames()).isEmpty();
        told.set(0);

        RemainingBeans.makeAll(beans);

        assertThat(beans.getSingletonNames()).containsExactlyInAnyOrder("list", "waiting");
        assertThat(told).hasValue(1);
        RemainingBeans.makeAll(beans);
        assertThat(told).as("a bean made already is not told again").hasValue(1);
    }

    @Test
    void aStartedServerHasEverySingletonMade() {
        try (TestHomeservers servers = TestHomeservers.start(1)) {
            ConfigurableListableBeanFactory beans = servers.get(0).context().getBeanFactory();
            assertThat(beans.getBeanDefinition("accountService").isLazyInit())
                    .as("the server starts with lazy initialisation").isTrue();
            List<String> unmade = new ArrayList<>();
            for (String name : beans.getBeanDefinitionNames()) {
                BeanDefinition definition = beans.getMergedBeanDefinition(name);
                if (definition.isSingleton() && !definition.isAbstract() && !beans.containsSingleton(name)) {
                    unmade.add(name);
                }
            }
            assertThat(unmade).isEmpty();
        }
    }

    @Test
    void aWrongSettingOfABeanMadeAfterTheListenersOpenStillStopsTheStart() {
        assertThatThrownBy(() -> TestHomeservers.start(1, "--vestibule.history.backfill-limit=0").close())
                .hasStackTraceContaining("vestibule.history.backfill-limit must be between 1 and 1000");
    }

    @Test
    void aServerStoppedWhileItMakesThemStopsMakingThemAndDoesNotFail() {
        GenericApplicationContext context = new GenericApplicationContext();
        List<String> made = new ArrayList<>();
        context.registerBean("first", Object.class, () -> {
            made.add("first");
            context.close();
            return new Object();
        }, definition -> definition.setLazyInit(true));
        context.registerBean("second", Object.class, () -> {
            made.add("second");
            return new Object();
        }, definition -> definition.setLazyInit(true));
        context.refresh();

        new RemainingBeans().onApplicationEvent(started(context));

        assertThat(made).as("nothing is made once the context is closed").containsExactly("first");
    }

    @Test
    void aBeanRefusedBecauseTheServerIsStoppingIsNotAFailedStart() {
        GenericApplicationContext context = new GenericApplicationContext();
        context.registerBean("refused", Object.class, () -> {
            context.close();
            throw new BeanCreationNotAllowedException("refused", "singletons of this factory are in destruction");
        }, definition -> definition.setLazyInit(true));
        context.refresh();

        assertThatNoException().isThrownBy(() -> new RemainingBeans().onApplicationEvent(started(context)));
    }

    @Test
    void aBeanThatFailsWhileTheServerRunsStillFailsTheStart() {
        GenericApplicationContext context = new GenericApplicationContext();
        context.registerBean("failing", Object.class, () -> {
            throw new IllegalStateException("wrong setting");
        }, definition -> definition.setLazyInit(true));
        context.refresh();

        assertThatThrownBy(() -> new RemainingBeans().onApplicationEvent(started(context)))
                .hasStackTraceContaining("wrong setting");
        context.close();
    }

    private static ApplicationStartedEvent started(GenericApplicationContext context) {
        return new ApplicationStartedEvent(new SpringApplication(), new String[0], context, Duration.ZERO);
    }

    private static RootBeanDefinition lazy(RootBeanDefinition definition) {
        definition.setLazyInit(true);
        return definition;
    }
}
