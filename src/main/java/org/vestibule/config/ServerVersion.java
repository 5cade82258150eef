package org.vestibule.config;

/** Our implementation name and version, as peers see them. */
public final class ServerVersion {

    public static final String NAME = "Vestibule";

    private ServerVersion() {}

    public static String version() {
        String v = ServerVersion.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0-dev";
    }
}
