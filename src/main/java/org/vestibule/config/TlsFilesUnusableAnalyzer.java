package org.vestibule.config;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Names the files and the settings behind them, instead of a hundred lines of stack. */
class TlsFilesUnusableAnalyzer extends AbstractFailureAnalyzer<TlsFilesUnusable> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, TlsFilesUnusable cause) {
        return new FailureAnalysis("Vestibule cannot set up its HTTPS listener: " + cause.getMessage() + ".",
                cause.action(), cause);
    }
}
