package dev.hubprobe.config;

import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * One log line as both logging set-ups write it ({@link LogRedaction} for the service and the other
 * commands, {@link CheckLogging} for check): {@code HH:mm:ss.SSS LEVEL Logger - message}, then the
 * stack trace, secrets masked in both by {@link Redactor#process()}.
 */
final class LogLine {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
    private static final String NL = System.lineSeparator();

    private LogLine() {
    }

    static String format(Instant at, String level, String logger, String message, String stackTrace) {
        StringBuilder b = new StringBuilder(128)
                .append(TIME.format(LocalTime.ofInstant(at, ZoneId.systemDefault()))).append(' ')
                .append(level);
        for (int i = level.length(); i < 5; i++) {
            b.append(' '); // as %-5s
        }
        b.append(' ').append(logger.substring(logger.lastIndexOf('.') + 1)).append(" - ")
                .append(Redactor.process().redact(message)).append(NL);
        if (stackTrace != null) {
            b.append(Redactor.process().redact(stackTrace)).append(NL);
        }
        return b.toString();
    }
}
