package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.aop.framework.autoproxy.AbstractAutoProxyCreator;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.jackson.JacksonComponentModule;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.EventListener;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.MethodIntrospector.MetadataLookup;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.util.ClassUtils;
import org.vestibule.event.RoomVersions;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.room.NewRoom;
import org.vestibule.room.RoomCreator;
import org.vestibule.support.TestHomeservers;

/**
 * Three searches that every start made over every bean, for what no bean here has, are gone: for
 * {@code @EventListener} methods (NoEventListenerMethods), for {@code @Transactional} ones
 * (Transactions) and for Jackson components (NoJacksonComponents). Without them such a method would
 * silently never run, or run outside a transaction, and such a component would never be used, so none
 * may have them, and transactions begun in code still roll back.
 */
class BeanScansIntegrationTests {

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
    void theModuleOfJacksonComponentsIsNotMade() {
        assertThat(servers.get(0).context().getBeanFactory().containsBeanDefinition(NoJacksonComponents.MODULE)).isFalse();
        assertThat(servers.get(0).context().getBeanNamesForType(JacksonComponentModule.class)).isEmpty();
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

    @Test
    void noBeanOfOursIsProxied() {
        ConfigurableListableBeanFactory beans = servers.get(0).context().getBeanFactory();
        assertThat(beans.getBeanNamesForType(AbstractAutoProxyCreator.class, true, false)).isEmpty();
        List<String> proxied = new ArrayList<>();
        for (String name : beans.getSingletonNames()) {
            Object bean = beans.getSingleton(name);
            if (bean != null && AopUtils.isAopProxy(bean) && AopUtils.getTargetClass(bean).getName().startsWith("org.vestibule.")) {
                proxied.add(name);
            }
        }
        assertThat(proxied).isEmpty();
    }

    @Test
    void aTransactionBegunInCodeRollsBackWhatItWrote() {
        JdbcTemplate jdbc = servers.get(0).bean(JdbcTemplate.class);
        String alice = "@alice:" + servers.get(0).bean(ServerKeyring.class).serverName();
        List<String> made = new ArrayList<>();
        NewRoom spec = new NewRoom(alice, RoomVersions.V10, "public_chat", Map.of(), List.of(), Map.of(), null, null,
                null, List.of(), false);

        // RoomCreator's claims run once the room exists, in its transaction: refusing one leaves no room.
        assertThatThrownBy(() -> servers.get(0).bean(RoomCreator.class).create(spec, roomId -> {
            made.add(roomId);
            throw new IllegalStateException("the alias was taken meanwhile");
        })).hasMessage("the alias was taken meanwhile");

        assertThat(made).hasSize(1);
        assertThat(jdbc.queryForObject("select count(*) from rooms where room_id = ?", Integer.class, made.get(0)))
                .isZero();
        assertThat(jdbc.queryForObject("select count(*) from events where room_id = ?", Integer.class, made.get(0)))
                .isZero();
    }
}
