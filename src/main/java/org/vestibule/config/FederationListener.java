package org.vestibule.config;

import org.apache.catalina.connector.Connector;

/** The HTTPS federation connector; its port is known once the web server has started. */
public final class FederationListener {

    private final Connector connector;

    FederationListener(Connector connector) {
        this.connector = connector;
    }

    Connector connector() {
        return connector;
    }

    /** The port the listener is bound to (useful when configured as 0). */
    public int port() {
        return connector.getLocalPort();
    }
}
