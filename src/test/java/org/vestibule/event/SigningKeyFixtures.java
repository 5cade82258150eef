package org.vestibule.event;

/** Keys shared by event-core tests. */
public final class SigningKeyFixtures {

    /** The spec's test-vector key. */
    public static final SigningKey KEY = SigningKey.fromSeed("ed25519:1",
            UnpaddedBase64.decode("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1"));

    private SigningKeyFixtures() {}
}
