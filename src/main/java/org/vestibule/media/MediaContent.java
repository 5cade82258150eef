package org.vestibule.media;

import java.nio.file.Path;

/**
 * Bytes to answer with: the file, its size and type, and the file name to give it (null for none).
 */
record MediaContent(Path file, long size, String contentType, String fileName) {

    MediaContent withFileName(String name) {
        return new MediaContent(file, size, contentType, name);
    }
}
