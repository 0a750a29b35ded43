package dev.hubprobe.alerting;

import java.util.Map;

/** What a notifier is told: an alert started firing, is still firing (a reminder), or resolved. */
public record AlertEvent(Type type, Alert alert, Map<String, String> labels) {
    public enum Type { FIRING, REMINDER, RESOLVED }
}
