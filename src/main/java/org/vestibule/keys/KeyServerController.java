package org.vestibule.keys;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /_matrix/key/v2/server}: our published keys; no authentication. */
@RestController
class KeyServerController {

    private final ServerKeyDocument document;

    KeyServerController(ServerKeyDocument document) {
        this.document = document;
    }

    @GetMapping(value = "/_matrix/key/v2/server", produces = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<byte[]> serverKeys() {
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(document.json());
    }
}
