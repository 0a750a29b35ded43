package dev.hubprobe.config;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;

/**
 * Logback converters that pass every log message and stack trace through {@link Redactor#process()}
 * (see logback.xml), so no code path, ours or a library's, can log a token, password or webhook URL.
 */
public final class LogRedaction {
    private LogRedaction() {
    }

    /** {@code %redactedMsg}: the formatted message, secrets masked. */
    public static final class Message extends MessageConverter {
        @Override
        public String convert(ILoggingEvent event) {
            return Redactor.process().redact(super.convert(event));
        }
    }

    /** {@code %redactedEx}: the stack trace, with exception messages masked. */
    public static final class Throwable extends ThrowableProxyConverter {
        @Override
        protected String throwableProxyToString(IThrowableProxy tp) {
            return Redactor.process().redact(super.throwableProxyToString(tp));
        }
    }
}
