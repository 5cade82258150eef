package org.vestibule.media;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/** The {@code media} and {@code media_thumbnails} tables (migration V25). */
@Repository
class MediaRecords {

    private final JdbcTemplate jdbc;

    MediaRecords(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** An ID from {@code POST /create}, waiting for its content until {@code expiresTs}. */
    void insertPending(String origin, String mediaId, String uploader, long createdTs, long expiresTs) {
        jdbc.update("insert into media (origin, media_id, uploader, created_ts, unused_expires_ts) values (?, ?, ?, ?, ?)",
                origin, mediaId, uploader, createdTs, expiresTs);
    }

    /** Media with its content; false when the row was already there (a racing fetch of the same remote media). */
    boolean insertStored(MediaRecord m) {
        return jdbc.update("insert into media (origin, media_id, uploader, content_type, upload_name, size, sha256, "
                        + "created_ts, stored_ts) values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing",
                m.origin(), m.mediaId(), m.uploader(), m.contentType(), m.uploadName(), m.size(), m.sha256(),
                m.createdTs(), m.storedTs()) == 1;
    }

    /** Gives a pending ID its content; false when it had content already (a racing PUT won). */
    boolean complete(String origin, String mediaId, String contentType, String uploadName, long size, String sha256,
                     long storedTs) {
        return jdbc.update("update media set content_type = ?, upload_name = ?, size = ?, sha256 = ?, stored_ts = ?, "
                        + "unused_expires_ts = null where origin = ? and media_id = ? and stored_ts is null",
                contentType, uploadName, size, sha256, storedTs, origin, mediaId) == 1;
    }

    Optional<MediaRecord> find(String origin, String mediaId) {
        return jdbc.query("select * from media where origin = ? and media_id = ?", MediaRecords::media, origin, mediaId)
                .stream().findFirst();
    }

    /** A user's IDs from /create that still wait for content. */
    int pendingOf(String uploader, long now) {
        Integer n = jdbc.queryForObject("select count(*) from media where uploader = ? and stored_ts is null "
                + "and unused_expires_ts > ?", Integer.class, uploader, now);
        return n == null ? 0 : n;
    }

    /** Forgets a user's IDs from /create whose time ran out. */
    void deleteExpiredPending(String uploader, long now) {
        jdbc.update("delete from media where uploader = ? and stored_ts is null and unused_expires_ts <= ?", uploader, now);
    }

    /** Bytes a user has uploaded. */
    long bytesOf(String uploader) {
        Long n = jdbc.queryForObject("select coalesce(sum(size), 0) from media where uploader = ? and stored_ts is not null",
                Long.class, uploader);
        return n == null ? 0 : n;
    }

    Optional<ThumbnailRecord> thumbnail(String origin, String mediaId, ThumbnailSize size, String contentType) {
        return jdbc.query("select * from media_thumbnails where origin = ? and media_id = ? and width = ? and height = ? "
                        + "and method = ? and content_type = ?", MediaRecords::thumbnail, origin, mediaId, size.width(),
                size.height(), size.method().id(), contentType).stream().findFirst();
    }

    void insertThumbnail(ThumbnailRecord t) {
        jdbc.update("insert into media_thumbnails (origin, media_id, width, height, method, content_type, actual_width, "
                        + "actual_height, size, sha256, created_ts) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                        + "on conflict do nothing", t.origin(), t.mediaId(), t.size().width(), t.size().height(),
                t.size().method().id(), t.contentType(), t.actualWidth(), t.actualHeight(), t.bytes(), t.sha256(),
                t.createdTs());
    }

    /** Forgets a thumbnail whose file is gone, so that it is made again. */
    void deleteThumbnail(ThumbnailRecord t) {
        jdbc.update("delete from media_thumbnails where origin = ? and media_id = ? and width = ? and height = ? "
                        + "and method = ? and content_type = ?", t.origin(), t.mediaId(), t.size().width(),
                t.size().height(), t.size().method().id(), t.contentType());
    }

    /** Forgets cached remote media whose file is gone, so that it is fetched again. */
    void deleteRemote(String origin, String mediaId) {
        jdbc.update("delete from media where origin = ? and media_id = ? and uploader is null", origin, mediaId);
    }

    /**
     * Deletes media and its thumbnails; returns the hashes of the files that nothing refers to
     * any more, which the caller may delete.
     */
    List<String> delete(String origin, String mediaId) {
        List<String> hashes = jdbc.queryForList("select sha256 from media where origin = ? and media_id = ? and sha256 "
                + "is not null union select sha256 from media_thumbnails where origin = ? and media_id = ?", String.class,
                origin, mediaId, origin, mediaId);
        jdbc.update("delete from media where origin = ? and media_id = ?", origin, mediaId);
        return hashes.stream().filter(h -> !referenced(h)).toList();
    }

    private boolean referenced(String sha256) {
        Boolean used = jdbc.queryForObject("select exists (select 1 from media where sha256 = ?) "
                + "or exists (select 1 from media_thumbnails where sha256 = ?)", Boolean.class, sha256, sha256);
        return Boolean.TRUE.equals(used);
    }

    private static MediaRecord media(ResultSet rs, int row) throws SQLException {
        return new MediaRecord(rs.getString("origin"), rs.getString("media_id"), rs.getString("uploader"),
                rs.getString("content_type"), rs.getString("upload_name"), (Long) rs.getObject("size"),
                rs.getString("sha256"), rs.getLong("created_ts"), (Long) rs.getObject("stored_ts"),
                (Long) rs.getObject("unused_expires_ts"));
    }

    private static ThumbnailRecord thumbnail(ResultSet rs, int row) throws SQLException {
        return new ThumbnailRecord(rs.getString("origin"), rs.getString("media_id"),
                new ThumbnailSize(rs.getInt("width"), rs.getInt("height"), ThumbnailSize.Method.of(rs.getString("method"))),
                rs.getString("content_type"), rs.getInt("actual_width"), rs.getInt("actual_height"), rs.getLong("size"),
                rs.getString("sha256"), rs.getLong("created_ts"));
    }
}
