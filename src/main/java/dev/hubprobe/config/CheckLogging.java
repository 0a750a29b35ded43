package dev.hubprobe.config;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * check's logging, without logback: the same lines as {@link LogRedaction}'s (stderr, WARN and above,
 * DEBUG for hubprobe's own loggers with {@code --verbose}, secrets masked by {@link Redactor#process()},
 * {@link LogLine}), written to whatever {@code System.err} is at the time. Chosen by {@link #use()}
 * before anything logs (slf4j's {@code slf4j.provider}); the service and the other commands keep
 * logback. Why (issue 25): logback's set-up (72 classes, its context, appender, encoder and layout) was
 * about 30 ms of a 0.28 s check's CPU, for the few lines a check logs.
 */
public final class CheckLogging implements SLF4JServiceProvider {
    private static final String HUBPROBE = "dev.hubprobe";
    private static volatile Level hubprobeLevel = Level.WARN;

    private final Factory factory = new Factory();
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final MDCAdapter mdc = new NOPMDCAdapter();

    /**
     * Makes slf4j bind this provider when it starts (at the first logger), unless one was named already;
     * slf4j's own note that it loads a named provider (its INFO) is not printed unless asked for.
     */
    public static void use() {
        if (System.getProperty("slf4j.provider") == null) {
            System.setProperty("slf4j.provider", CheckLogging.class.getName());
            if (System.getProperty("slf4j.internal.verbosity") == null) {
                System.setProperty("slf4j.internal.verbosity", "WARN");
            }
        }
    }

    /** True when slf4j is bound to this (not to logback, as in a test's JVM or with another provider named). */
    public static boolean active() {
        return org.slf4j.LoggerFactory.getILoggerFactory() instanceof Factory;
    }

    /** {@code --verbose}: hubprobe's own loggers from DEBUG. */
    public static void verbose() {
        hubprobeLevel = Level.DEBUG;
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return factory;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }

    @Override
    public void initialize() {
        // nothing to set up: that is the point
    }

    static final class Factory implements ILoggerFactory {
        private final Map<String, Logger> loggers = new ConcurrentHashMap<>();

        @Override
        public Logger getLogger(String name) {
            return loggers.computeIfAbsent(name, StderrLogger::new);
        }
    }

    static final class StderrLogger extends LegacyAbstractLogger {
        private static final long serialVersionUID = 1L;
        private final boolean ours;

        StderrLogger(String name) {
            this.name = name;
            this.ours = name.equals(HUBPROBE) || name.startsWith(HUBPROBE + ".");
        }

        private boolean enabled(Level level) {
            return level.toInt() >= (ours ? hubprobeLevel : Level.WARN).toInt();
        }

        @Override
        public boolean isTraceEnabled() {
            return enabled(Level.TRACE);
        }

        @Override
        public boolean isDebugEnabled() {
            return enabled(Level.DEBUG);
        }

        @Override
        public boolean isInfoEnabled() {
            return enabled(Level.INFO);
        }

        @Override
        public boolean isWarnEnabled() {
            return enabled(Level.WARN);
        }

        @Override
        public boolean isErrorEnabled() {
            return enabled(Level.ERROR);
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] arguments, Throwable thrown) {
            String stackTrace = null;
            if (thrown != null) {
                StringWriter trace = new StringWriter();
                thrown.printStackTrace(new PrintWriter(trace));
                stackTrace = trace.toString().stripTrailing();
            }
            String line = LogLine.format(Instant.now(), level.toString(), name, MessageFormatter.basicArrayFormat(pattern, arguments),
                    stackTrace);
            // one write per line, so lines from threads logging at once do not interleave
            System.err.print(line);
            System.err.flush();
        }
    }
}
