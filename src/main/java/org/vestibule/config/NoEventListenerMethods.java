package org.vestibule.config;

import java.util.List;
import org.springframework.beans.factory.support.BeanDefinitionRegistryPostProcessor;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.AnnotationConfigUtils;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * No bean here has {@code @EventListener} methods: ours implement {@link ApplicationListener}, and
 * Spring's and Boot's beans have none. The processor that looks for them read every method of every
 * bean at each start, ~90 ms of the main thread; its definition is removed before it is made.
 */
@Configuration(proxyBeanMethods = false)
class NoEventListenerMethods {

    static final List<String> PROCESSOR = List.of(AnnotationConfigUtils.EVENT_LISTENER_PROCESSOR_BEAN_NAME,
            AnnotationConfigUtils.EVENT_LISTENER_FACTORY_BEAN_NAME);

    @Bean
    static BeanDefinitionRegistryPostProcessor noEventListenerMethodProcessor() {
        return registry -> PROCESSOR.stream().filter(registry::containsBeanDefinition)
                .forEach(registry::removeBeanDefinition);
    }
}
