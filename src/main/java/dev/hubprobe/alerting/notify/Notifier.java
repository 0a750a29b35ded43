package dev.hubprobe.alerting.notify;

import dev.hubprobe.alerting.AlertEvent;

/**
 * One way of telling people, behind one signature (as Gatus keeps one alert provider per folder).
 * {@link #deliver} makes one attempt; the dispatcher retries it when it throws {@link RetryableException}.
 */
public interface Notifier {
    /** A bounded label value: alertmanager, pagerduty, slack, webhook. */
    String name();

    void deliver(AlertEvent event) throws Exception;

    /** Whether the receiver forgets alerts it stops hearing about, and so needs firing ones re-sent. */
    default boolean wantsResends() {
        return false;
    }

    /** A 429, a 5xx, or no answer: worth trying again later. */
    class RetryableException extends Exception {
        public RetryableException(String message) {
            super(message);
        }
    }
}
