package org.vestibule.media;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.federation.FederationProperties;
import org.vestibule.federation.outbound.FederationClient;
import org.vestibule.federation.outbound.FederationErrorResponseException;
import org.vestibule.federation.outbound.FederationException;
import org.vestibule.federation.outbound.FederationResponseTooLargeException;

/**
 * Other servers' media, fetched for our clients and kept (spec server-server §Content
 * Repository): {@code GET /_matrix/federation/v1/media/download/{mediaId}} first, the deprecated
 * {@code /_matrix/media/v3/download/{serverName}/{mediaId}?allow_remote=false} only when the peer
 * answers that it does not know the endpoint (404/405 M_UNRECOGNIZED, or 400 M_UNRECOGNIZED from old
 * Synapses), size-limited, through the federation client and so its address policy. Requests for
 * the same media while it is being fetched wait for that one fetch.
 */
@Component
class RemoteMedia {

    private static final Logger log = LoggerFactory.getLogger(RemoteMedia.class);
    /** How long a peer may keep a /create'd ID waiting; the spec's default, and Synapse's cap. */
    static final long MAX_TIMEOUT_MS = 60_000;

    private final FederationClient client;
    private final MediaRecords records;
    private final MediaStore store;
    private final MediaProperties properties;
    private final Clock clock;
    private final Duration requestTimeout;
    private final Map<String, CompletableFuture<MediaRecord>> inFlight = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> followers = new ConcurrentHashMap<>();
    private final MeterRegistry meters;

    RemoteMedia(FederationClient client, MediaRecords records, MediaStore store, MediaProperties properties, Clock clock,
                FederationProperties federation, MeterRegistry meters) {
        this.client = client;
        this.records = records;
        this.store = store;
        this.properties = properties;
        this.clock = clock;
        this.requestTimeout = federation.requestTimeout();
        this.meters = meters;
    }

    /** The cached media, if we have it whole. */
    Optional<MediaRecord> cached(String server, String mediaId) {
        Optional<MediaRecord> media = records.find(server, mediaId).filter(MediaRecord::stored);
        if (media.isPresent() && !store.exists(media.get().sha256())) {
            // The file went (a wiped media folder, another instance's disk): fetch it again.
            log.info("The file of cached {} is missing; fetching it again", media.get().mxc());
            records.deleteRemote(server, mediaId);
            return Optional.empty();
        }
        return media;
    }

    /** The media, from the cache or fetched now; one fetch at a time per media in this instance. */
    MediaRecord fetch(String server, String mediaId, long timeoutMs) {
        Optional<MediaRecord> hit = cached(server, mediaId);
        if (hit.isPresent()) {
            return hit.get();
        }
        String key = server + "/" + mediaId;
        CompletableFuture<MediaRecord> mine = new CompletableFuture<>();
        CompletableFuture<MediaRecord> running = inFlight.putIfAbsent(key, mine);
        if (running != null) {
            return follow(key, running);
        }
        try {
            // A fetch that finished between our look and our claim stored it already.
            MediaRecord media = cached(server, mediaId).orElseGet(() -> download(server, mediaId, timeoutMs));
            mine.complete(media);
            return media;
        } catch (RuntimeException | Error e) {
            mine.completeExceptionally(e); // followers must not wait for a fetch that died
            throw e;
        } finally {
            inFlight.remove(key, mine);
        }
    }

    /** How many requests wait for a fetch in progress of this media (for tests and metrics). */
    int followers(String server, String mediaId) {
        AtomicInteger n = followers.get(server + "/" + mediaId);
        return n == null ? 0 : n.get();
    }

    private MediaRecord follow(String key, CompletableFuture<MediaRecord> running) {
        AtomicInteger count = followers.computeIfAbsent(key, k -> new AtomicInteger());
        count.incrementAndGet();
        try {
            return running.get(requestTimeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new MatrixException(502, Errcode.UNKNOWN, "Fetching " + key + " failed: " + e.getCause());
        } catch (TimeoutException e) {
            throw new MatrixException(504, Errcode.UNKNOWN, "Fetching mxc://" + key + " is taking too long");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MatrixException(503, Errcode.UNKNOWN, "Interrupted while fetching mxc://" + key);
        } finally {
            if (count.decrementAndGet() == 0) {
                followers.remove(key, count);
            }
        }
    }

    private MediaRecord download(String server, String mediaId, long timeoutMs) {
        String mxc = "mxc://" + server + "/" + mediaId;
        long max = properties.maxUploadSize().toBytes();
        long timeout = Math.max(0, Math.min(timeoutMs, MAX_TIMEOUT_MS));
        Fetched fetched;
        try {
            try {
                fetched = client.downloadMedia(server, "/_matrix/federation/v1/media/download/" + mediaId
                        + "?timeout_ms=" + timeout, max, this::receive);
            } catch (FederationErrorResponseException e) {
                if (!unknownEndpoint(e)) {
                    throw e;
                }
                log.debug("{} has no federation media endpoint ({}); asking its client API", server, e.getMessage());
                fetched = client.downloadLegacyMedia(server, "/_matrix/media/v3/download/"
                        + FederationClient.pathSegment(server) + "/" + mediaId + "?allow_remote=false&timeout_ms="
                        + timeout, max, this::receive);
            }
        } catch (FederationResponseTooLargeException e) {
            count("too_large");
            throw new MatrixException(502, Errcode.TOO_LARGE, mxc + " is larger than this server's limit of " + max
                    + " bytes");
        } catch (FederationErrorResponseException e) {
            count("refused");
            if (e.status() == 404) {
                throw MatrixException.notFound(server + " has no media " + mediaId + " ("
                        + (e.error() != null ? e.error() : "404") + ")");
            }
            if (e.status() == 504 && Errcode.NOT_YET_UPLOADED.equals(e.errcode())) {
                throw new MatrixException(504, Errcode.NOT_YET_UPLOADED, mxc + " has not been uploaded yet");
            }
            throw new MatrixException(502, Errcode.UNKNOWN, "Could not fetch " + mxc + ": " + e.getMessage());
        } catch (FederationException e) {
            count("unreachable");
            throw new MatrixException(502, Errcode.UNKNOWN, "Could not fetch " + mxc + ": " + e.getMessage());
        }
        long now = clock.millis();
        MediaRecord media = new MediaRecord(server, mediaId, null, fetched.contentType(), fetched.fileName(),
                fetched.blob().size(), fetched.blob().sha256(), now, now, null);
        records.insertStored(media);
        count("fetched");
        return records.find(server, mediaId).filter(MediaRecord::stored).orElse(media);
    }

    /** The peer's media, as it arrives, to a file. */
    private record Fetched(MediaStore.Blob blob, String contentType, String fileName) {}

    private Fetched receive(FederationClient.MediaPart part) throws IOException {
        // The federation client stops reading at the limit; the store need not count again.
        MediaStore.Blob blob = store.write(part.bytes(), Long.MAX_VALUE);
        return new Fetched(blob, ContentDisposition.contentType(part.contentType()),
                ContentDisposition.fileName(part.contentDisposition()));
    }

    /** What peers answer for an endpoint they lack (spec §API standards, and older servers' 400). */
    static boolean unknownEndpoint(FederationErrorResponseException e) {
        boolean notJson = e.json() == null;
        return ((e.status() == 404 || e.status() == 405) && (notJson || Errcode.UNRECOGNIZED.equals(e.errcode())))
                || (e.status() == 400 && Errcode.UNRECOGNIZED.equals(e.errcode()));
    }

    private void count(String result) {
        Counter.builder("vestibule_media_remote_fetches").description("Fetches of other servers' media")
                .tag("result", result).register(meters).increment();
    }
}
