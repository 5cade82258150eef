package org.vestibule.config;

/** Start-up stops here: the HTTPS listener's certificate or key cannot be read, made or issued. */
public class TlsFilesUnusable extends RuntimeException {

    private final String action;

    TlsFilesUnusable(String problem, String action, Throwable cause) {
        super(problem, cause);
        this.action = action;
    }

    /** What the person should check or change: the settings that name the files. */
    public String action() {
        return action;
    }
}
