-- The content repository (spec client-server §Content repository). One row per mxc:// URI we
-- serve: our users' uploads (origin = our server name) and other servers' media we fetched and
-- keep. The bytes are files under the media folder named by their SHA-256, shared by equal uploads.
CREATE TABLE media (
    origin            text   NOT NULL,
    media_id          text   NOT NULL,
    -- The local user who created or uploaded it; NULL for other servers' media.
    uploader          text,
    -- NULL until the content is there (an ID from POST /create waits for its PUT).
    content_type      text,
    upload_name       text,
    size              bigint,
    sha256            text,
    created_ts        bigint NOT NULL,
    -- When the bytes were stored here: the upload, or the fetch for remote media. The unauthenticated
    -- endpoints serve only media stored before vestibule.media.legacy-cutoff (the spec's freeze).
    stored_ts         bigint,
    -- A /create'd ID without content is forgotten after this.
    unused_expires_ts bigint,
    PRIMARY KEY (origin, media_id),
    CHECK ((stored_ts IS NULL) = (sha256 IS NULL))
);
CREATE INDEX media_sha256 ON media (sha256);
CREATE INDEX media_uploader ON media (uploader) WHERE uploader IS NOT NULL;

-- Thumbnails made of media, at the spec's recommended sizes, kept like media.
CREATE TABLE media_thumbnails (
    origin        text    NOT NULL,
    media_id      text    NOT NULL,
    -- The size asked for (one of the recommended ones) and how.
    width         int     NOT NULL,
    height        int     NOT NULL,
    method        text    NOT NULL,
    content_type  text    NOT NULL,
    -- What came out (never larger than the source).
    actual_width  int     NOT NULL,
    actual_height int     NOT NULL,
    size          bigint  NOT NULL,
    sha256        text    NOT NULL,
    created_ts    bigint  NOT NULL,
    PRIMARY KEY (origin, media_id, width, height, method, content_type),
    FOREIGN KEY (origin, media_id) REFERENCES media (origin, media_id) ON DELETE CASCADE
);
CREATE INDEX media_thumbnails_sha256 ON media_thumbnails (sha256);
