package org.vestibule.config;

/** Start-up stops here: no database is configured and the embedded one cannot be used. */
public class NoDatabaseConfigured extends RuntimeException {

    private final boolean embeddedEnabled;

    NoDatabaseConfigured(boolean embeddedEnabled) {
        super(embeddedEnabled
                ? "spring.datasource.url is not set, and this build has no embedded PostgreSQL (the packaged jar leaves it out)"
                : "spring.datasource.url is not set, and vestibule.embedded-database.enabled=false");
        this.embeddedEnabled = embeddedEnabled;
    }

    public boolean embeddedEnabled() {
        return embeddedEnabled;
    }
}
