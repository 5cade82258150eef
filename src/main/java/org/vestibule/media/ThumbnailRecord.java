package org.vestibule.media;

/** A thumbnail made of media: the size and method asked for, what came out, and its file. */
record ThumbnailRecord(String origin, String mediaId, ThumbnailSize size, String contentType, int actualWidth,
                       int actualHeight, long bytes, String sha256, long createdTs) {
}
