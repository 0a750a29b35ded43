package dev.hubprobe.alerting;

/** When a certificate's expiry warns ({@code warnDays} left) and when it pages ({@code criticalDays}). */
public record TlsThresholds(int warnDays, int criticalDays) {
    public static final TlsThresholds DEFAULTS = new TlsThresholds(21, 7);
}
