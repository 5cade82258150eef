package org.vestibule.federation.inbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.vestibule.federation.XMatrix;
import org.vestibule.federation.inbound.XMatrixHeader.Credentials;
import org.vestibule.federation.inbound.XMatrixHeader.MalformedException;

class XMatrixHeaderTests {

    private static final Credentials EXPECTED = new Credentials("origin.example.org:8448", "dest.example.org",
            "ed25519:key1", "ABCD+/ef");

    @ParameterizedTest
    @ValueSource(strings = {
            // What we send and the spec's example.
            "X-Matrix origin=\"origin.example.org:8448\",destination=\"dest.example.org\",key=\"ed25519:key1\",sig=\"ABCD+/ef\"",
            // Case-insensitive scheme and names, any order.
            "x-matrix SIG=\"ABCD+/ef\",Key=\"ed25519:key1\",DESTINATION=\"dest.example.org\",Origin=\"origin.example.org:8448\"",
            // Bare values, colons unquoted.
            "X-Matrix origin=origin.example.org:8448,destination=dest.example.org,key=ed25519:key1,sig=ABCD+/ef",
            // Spaces and tabs around commas and equals signs, several spaces after the scheme.
            "X-Matrix   origin = \"origin.example.org:8448\" ,\tdestination=dest.example.org ,key=\"ed25519:key1\" , sig=ABCD+/ef",
            // Backslash escapes in quoted values.
            "X-Matrix origin=\"origin\\.example.org:8448\",destination=\"dest.example.org\",key=\"ed25519\\:key1\",sig=\"ABCD+\\/ef\"",
            // Unknown parameters are ignored, quoted commas and escaped quotes included.
            "X-Matrix origin=\"origin.example.org:8448\",foo=\"a,b \\\" c\",destination=\"dest.example.org\",key=\"ed25519:key1\",bar=baz,sig=\"ABCD+/ef\"",
            // Empty list elements and surrounding whitespace.
            "  X-Matrix ,origin=\"origin.example.org:8448\",,destination=\"dest.example.org\",key=\"ed25519:key1\",sig=\"ABCD+/ef\",  ",
            // The spec prose's name for the signature.
            "X-Matrix origin=origin.example.org:8448,destination=dest.example.org,key=ed25519:key1,signature=ABCD+/ef",
    })
    void acceptsEverySyntaxTheSpecAllows(String header) throws Exception {
        assertThat(XMatrixHeader.isXMatrix(header)).isTrue();
        assertThat(XMatrixHeader.parse(header)).isEqualTo(EXPECTED);
    }

    @Test
    void destinationIsOptional() throws Exception {
        assertThat(XMatrixHeader.parse("X-Matrix origin=a.org,key=\"ed25519:1\",sig=xyz"))
                .isEqualTo(new Credentials("a.org", null, "ed25519:1", "xyz"));
    }

    @Test
    void readsWhatOurClientWrites() throws Exception {
        String header = XMatrix.authorization("origin.example.org:8448", "dest.example.org", "ed25519:key1", "ABCD+/ef");
        assertThat(XMatrixHeader.parse(header)).isEqualTo(EXPECTED);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Bearer abc", "X-Matrixorigin=a", "Basic X-Matrix origin=a", ""})
    void otherSchemesAreNotXMatrix(String header) {
        assertThat(XMatrixHeader.isXMatrix(header)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "X-Matrix",
            "X-Matrix   ",
            "X-Matrix key=\"ed25519:1\",sig=\"abc\"",
            "X-Matrix origin=\"a.org\",sig=\"abc\"",
            "X-Matrix origin=\"a.org\",key=\"ed25519:1\"",
            "X-Matrix origin=\"a.org\",key=\"ed25519:1\",sig=\"\"",
            "X-Matrix origin=\"a.org\",key=\"ed25519:1\",sig=\"abc",
            "X-Matrix origin=\"a.org\",key=\"ed25519:1\",sig=\"abc\\",
            "X-Matrix origin=\"a.org\",origin=\"b.org\",key=\"ed25519:1\",sig=\"abc\"",
            "X-Matrix origin=\"a.org\" key=\"ed25519:1\",sig=\"abc\"",
            "X-Matrix origin,key=\"ed25519:1\",sig=\"abc\"",
            "X-Matrix origin=,key=\"ed25519:1\",sig=\"abc\"",
            "X-Matrix =a.org,key=\"ed25519:1\",sig=\"abc\"",
            "X-Matrix origin=\"not a server name\",key=\"ed25519:1\",sig=\"abc\"",
            "X-Matrix origin=\"a.org\",key=\"ed25519:1\",sig=\"a\u0001b\"",
            "X-Matrix origin=a\"b,key=\"ed25519:1\",sig=\"abc\"",
            "X-Matrix \u0000\u00ff garbage",
            "Bearer origin=\"a.org\",key=\"ed25519:1\",sig=\"abc\"",
    })
    void refusesGarbage(String header) {
        assertThatThrownBy(() -> XMatrixHeader.parse(header)).isInstanceOf(MalformedException.class);
    }

    @Test
    void saysWhatIsWrong() {
        assertThatThrownBy(() -> XMatrixHeader.parse("X-Matrix origin=\"a.org\",key=\"ed25519:1\""))
                .hasMessage("parameter 'sig' is missing");
        assertThatThrownBy(() -> XMatrixHeader.parse("X-Matrix origin=a.org,origin=b.org,key=k,sig=s"))
                .hasMessage("parameter 'origin' appears more than once");
    }
}
