package dev.hubprobe.alerting;

import dev.hubprobe.probe.ProbeKey;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One alert and its state: a (hub, probe) that keeps failing, or a (hub, probe, phase) that got
 * slower than its baseline. There is one per key whatever the outage's length; it fires once,
 * reminds at intervals, and resolves once.
 */
public record Alert(String key, Kind kind, String hub, String probe, String phase, boolean firing,
                    int consecutiveFail, int consecutivePass, Instant startsAt, Instant endsAt,
                    Instant lastNotifiedAt, Map<String, String> annotations) {

    /** TLS: a certificate of the hub (or of an endpoint it lists) expires soon; {@code phase} holds the endpoint. */
    public enum Kind { FAILURE, REGRESSION, TLS }

    public Alert {
        annotations = Map.copyOf(annotations);
    }

    public static String failureKey(ProbeKey key) {
        return "failure/" + key;
    }

    public static String regressionKey(ProbeKey key, String phase) {
        return "regression/" + key + "/" + phase;
    }

    public ProbeKey probeKey() {
        return new ProbeKey(hub, probe);
    }

    public static Alert fresh(String key, Kind kind, String hub, String probe, String phase) {
        return new Alert(key, kind, hub, probe, phase, false, 0, 0, null, null, null, Map.of());
    }

    public static String tlsKey(String hub, String endpoint) {
        return "tls/" + hub + "/" + endpoint;
    }

    public String alertname() {
        return switch (kind) {
            case FAILURE -> "HubprobeProbeFailing";
            case REGRESSION -> "HubprobeLatencyRegression";
            case TLS -> "HubprobeTlsCertificateExpiring";
        };
    }

    /** Labels identify the alert (Alertmanager groups and deduplicates on them): bounded values only. */
    public Map<String, String> labels(String severity) {
        Map<String, String> l = new LinkedHashMap<>();
        l.put("alertname", alertname());
        l.put("hub", hub);
        if (kind == Kind.TLS) {
            l.put("endpoint", phase); // one alert per (hub, endpoint), whichever probe saw it
        } else {
            // a probe on a KubeSpawner profile: its probe file and profile apart, as on /metrics
            l.put("probe", ProbeKey.probeOf(probe));
            if (!ProbeKey.profileOf(probe).isEmpty()) {
                l.put("profile", ProbeKey.profileOf(probe));
            }
            if (phase != null) {
                l.put("phase", phase);
            }
        }
        l.put("severity", severity);
        return l;
    }

    public Alert withCounts(int fail, int pass) {
        return new Alert(key, kind, hub, probe, phase, firing, fail, pass, startsAt, endsAt, lastNotifiedAt, annotations);
    }

    public Alert fire(Instant at, Map<String, String> notes) {
        return new Alert(key, kind, hub, probe, phase, true, consecutiveFail, consecutivePass, at, null, at, notes);
    }

    public Alert update(Map<String, String> notes) {
        return new Alert(key, kind, hub, probe, phase, firing, consecutiveFail, consecutivePass, startsAt, endsAt, lastNotifiedAt, notes);
    }

    public Alert notified(Instant at) {
        return new Alert(key, kind, hub, probe, phase, firing, consecutiveFail, consecutivePass, startsAt, endsAt, at, annotations);
    }

    public Alert resolve(Instant at) {
        return new Alert(key, kind, hub, probe, phase, false, consecutiveFail, consecutivePass, startsAt, at, at, annotations);
    }
}
