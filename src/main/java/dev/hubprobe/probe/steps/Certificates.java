package dev.hubprobe.probe.steps;

import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeFailure;
import dev.hubprobe.probe.ProbeTarget;
import dev.hubprobe.probe.Reason;
import dev.hubprobe.tls.TlsInspector;
import dev.hubprobe.tls.TrustStores;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import okhttp3.HttpUrl;

/**
 * The certificate an https hub or BinderHub serves, looked at before anything is asked of it: its
 * expiry goes into the run's facts ({@code tls.*}), and an expired, untrusted or soon expiring one
 * fails the phase (incident 3 was expired certificates). The endpoints an operator listed besides
 * are {@link EndpointCertificates}', inspected beside the run.
 */
final class Certificates {
    private Certificates() {
    }

    static void check(ProbeContext ctx, HttpUrl url) {
        TlsInspector.Result t;
        try {
            t = inspect(ctx, url.host(), url.port(), Long.MAX_VALUE, "tls.");
        } catch (IOException e) {
            return; // no handshake at all: the API call says why (refused, timed out)
        }
        double days = t.daysLeft(ctx.clock.now());
        switch (t.problem()) {
            case EXPIRED -> throw new ProbeFailure(Reason.TLS_EXPIRED, t.detail());
            case UNTRUSTED, HOST_MISMATCH -> throw new ProbeFailure(Reason.TLS_INVALID, t.detail());
            case NONE -> {
                double min = ctx.target.tls().minDays();
                if (days < min) {
                    throw new ProbeFailure(Reason.TLS_EXPIRING, String.format(Locale.ROOT,
                            "the certificate expires in %.1f days (%s), fewer than %s", days, t.notAfter(), fmt(min)));
                }
            }
        }
    }

    /**
     * Inspects an endpoint within the phase's time left (and {@code capNanos}), and records what it
     * serves as facts under {@code prefix}: not_after, days_left, subject, issuer.
     */
    private static TlsInspector.Result inspect(ProbeContext ctx, String host, int port, long capNanos, String prefix) throws IOException {
        Duration budget = Duration.ofNanos(Math.max(1_000_000, Math.min(ctx.phaseDeadline() - ctx.clock.nanoTime(), capNanos)));
        Instant now = ctx.clock.now();
        TlsInspector.Result t = new TlsInspector(TrustStores.with(ctx.target.tls().caFile()), budget).inspect(host, port, now);
        ctx.facts.put(prefix + "not_after", t.notAfter().toString());
        ctx.facts.put(prefix + "days_left", dev.hubprobe.json.Json.fixed3(t.daysLeft(now)));
        ctx.facts.put(prefix + "subject", t.subject());
        ctx.facts.put(prefix + "issuer", t.issuer());
        t.notes().forEach(n -> ctx.notes.add("the hub's TLS endpoint: " + n));
        return t;
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
