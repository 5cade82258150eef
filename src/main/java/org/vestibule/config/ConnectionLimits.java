package org.vestibule.config;

/**
 * How many connections a listener keeps open at once, by default: as many as fit in a share of the
 * heap. Each open connection holds Tomcat's buffers in it, measured at ~69 KB on the HTTPS listener
 * (BoringSSL's records in and out, the decrypted bytes) and ~17 KB on the plain one; at Tomcat's 8,192,
 * 2,800 idle HTTPS connections filled bin/vestibule's 256 MB heap and stopped the server. Past the
 * limit Tomcat accepts no more until some close, and the server stays up.
 */
record ConnectionLimits(int https, int plain, int requests) {

    static final int HTTPS_CONNECTION_BYTES = 72 * 1024;
    static final int PLAIN_CONNECTION_BYTES = 18 * 1024;
    /** A request in progress: Tomcat's buffers, the servlet request and response, a virtual thread's stack. */
    static final int REQUEST_BYTES = 140 * 1024;
    /** Never fewer: a test harness or a busy client opens dozens. */
    static final int FLOOR = 256;
    /** Tomcat's own default, the most either listener is ever given. */
    static final int CEILING = 8192;

    /**
     * An eighth of the heap for the HTTPS listener's connections, a tenth for the plain one's and an
     * eighth for the requests in progress on both (one bound for both on JDK 21+; on JDK 17 the plain
     * listener keeps Tomcat's 200 threads and the HTTPS one has the bound alone). With request bodies'
     * eighth (RequestBodies), peers' answers' eighth ({@code vestibule.federation.response-memory})
     * and the ~32 MB an idle server keeps, a quarter of the heap stays free whatever peers and clients do.
     */
    static ConnectionLimits forHeap(long maxHeapBytes) {
        return new ConnectionLimits(fit(maxHeapBytes / 8, HTTPS_CONNECTION_BYTES),
                fit(maxHeapBytes / 10, PLAIN_CONNECTION_BYTES), fit(maxHeapBytes / 8, REQUEST_BYTES));
    }

    static ConnectionLimits forThisHeap() {
        return forHeap(Runtime.getRuntime().maxMemory());
    }

    private static int fit(long share, int perConnection) {
        return (int) Math.max(FLOOR, Math.min(CEILING, share / perConnection));
    }
}
