package dev.hubprobe.metrics;

import dev.hubprobe.probe.RunResult;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The certificate expiries a run saw, by endpoint: {@code hub} for the hub's (or BinderHub's) own
 * URL, else the name the operator gave a listed endpoint. Read by the metrics and the expiry alerts.
 */
public final class TlsExpiry {
    public static final String HUB = "hub";

    private TlsExpiry() {
    }

    public static Map<String, Instant> of(RunResult r) {
        Map<String, Instant> out = new LinkedHashMap<>();
        String hub = r.facts().get("tls.not_after");
        if (hub != null) {
            out.put(HUB, Instant.parse(hub));
        }
        r.facts().forEach((k, v) -> {
            if (k.startsWith("tls.endpoint.") && k.endsWith(".not_after")) {
                out.put(k.substring("tls.endpoint.".length(), k.length() - ".not_after".length()), Instant.parse(v));
            }
        });
        return out;
    }
}
