package org.vestibule;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Vestibule: a Matrix homeserver whose heart is federation joins. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class VestibuleApplication {

    public static void main(String[] args) {
        SpringApplication.run(VestibuleApplication.class, args);
    }
}
