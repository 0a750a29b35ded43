package dev.hubprobe.config;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.LayoutBase;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * The logging set-up, in code (found by logback through {@code META-INF/services}): one appender on
 * stderr (stdout carries the report, JSON in CI, and must stay parseable), WARN and above, and every
 * message and stack trace passed through {@link Redactor#process()}, so no code path, ours or a
 * library's, can log a token, password or webhook URL. In code rather than logback.xml: reading the
 * XML loaded about 500 classes, a fifth of a one-shot {@code check}'s start.
 */
public final class LogRedaction extends ContextAwareBase implements Configurator {
    @Override
    public ExecutionStatus configure(LoggerContext context) {
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        Layout layout = new Layout();
        layout.setContext(context);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setLayout(layout);
        encoder.start();
        stderr.setEncoder(encoder);
        stderr.start();
        ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.WARN);
        root.addAppender(stderr);
        context.getLogger("dev.hubprobe").setLevel(Level.WARN);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** {@code HH:mm:ss.SSS LEVEL Logger - message}, then the stack trace, secrets masked in both ({@link LogLine}). */
    static final class Layout extends LayoutBase<ILoggingEvent> {
        @Override
        public String doLayout(ILoggingEvent event) {
            IThrowableProxy thrown = event.getThrowableProxy();
            return LogLine.format(event.getInstant(), event.getLevel().toString(), event.getLoggerName(), event.getFormattedMessage(),
                    thrown == null ? null : ThrowableProxyUtil.asString(thrown));
        }
    }
}
