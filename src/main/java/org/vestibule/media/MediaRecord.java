package org.vestibule.media;

/**
 * What we know of one {@code mxc://origin/mediaId}.
 *
 * @param uploader        the local user who created it; null for other servers' media
 * @param contentType     as uploaded (checked), null while pending
 * @param uploadName      the file name it was uploaded with, or null
 * @param storedTs        when its bytes were stored here; null while a /create'd ID waits for them
 * @param unusedExpiresTs for a pending ID, when it is forgotten
 */
record MediaRecord(String origin, String mediaId, String uploader, String contentType, String uploadName, Long size,
                   String sha256, long createdTs, Long storedTs, Long unusedExpiresTs) {

    boolean stored() {
        return storedTs != null;
    }

    String mxc() {
        return "mxc://" + origin + "/" + mediaId;
    }
}
