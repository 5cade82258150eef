package org.vestibule.config;

import org.apache.catalina.connector.Connector;

/** The HTTPS federation connector, if open; its port is known once the web server has started. */
public final class FederationListener {

    private final Connector connector;

    FederationListener(Connector connector) {
        this.connector = connector;
    }

    /** Null when {@code vestibule.tls.enabled=false}. */
    Connector connector() {
        return connector;
    }

    /** The port the listener is bound to (useful when configured as 0). */
    public int port() {
        if (connector == null) {
            throw new IllegalStateException("The HTTPS listener is off (vestibule.tls.enabled=false)");
        }
        return connector.getLocalPort();
    }
}
