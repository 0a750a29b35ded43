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
 * fails the phase (incident 3 was expired certificates).
 */
final class Certificates {
    private Certificates() {
    }

    /**
     * The endpoints the operator listed: their expiry and trust go into the facts
     * ({@code tls.endpoint.NAME.*}) for the metrics and the expiry alerts; they do not fail the run,
     * which is about the hub itself.
     */
    static void endpoints(ProbeContext ctx) {
        for (ProbeTarget.Endpoint e : ctx.target.tls().endpoints()) {
            String key = "tls.endpoint." + e.name() + ".";
            Duration budget = Duration.ofNanos(Math.max(1_000_000, Math.min(ctx.phaseDeadline() - ctx.clock.nanoTime(), 10_000_000_000L)));
            Instant now = ctx.clock.now();
            try {
                TlsInspector.Result t = new TlsInspector(TrustStores.with(ctx.target.tls().caFile()), budget).inspect(e.host(), e.port(), now);
                ctx.facts.put(key + "not_after", t.notAfter().toString());
                ctx.facts.put(key + "days_left", String.format(Locale.ROOT, "%.3f", t.daysLeft(now)));
                ctx.facts.put(key + "subject", t.subject());
                ctx.facts.put(key + "issuer", t.issuer());
                if (t.problem() != TlsInspector.Problem.NONE) {
                    ctx.facts.put(key + "problem", t.detail());
                }
            } catch (IOException ex) {
                ctx.notes.add("TLS endpoint " + e.name() + " (" + e.host() + ":" + e.port() + ") did not shake hands: " + ex.getMessage());
            }
        }
    }

    static void check(ProbeContext ctx, HttpUrl url) {
        Duration budget = Duration.ofNanos(Math.max(1_000_000, ctx.phaseDeadline() - ctx.clock.nanoTime()));
        Instant now = ctx.clock.now();
        TlsInspector.Result t;
        try {
            t = new TlsInspector(TrustStores.with(ctx.target.tls().caFile()), budget).inspect(url.host(), url.port(), now);
        } catch (IOException e) {
            return; // no handshake at all: the API call says why (refused, timed out)
        }
        double days = t.daysLeft(now);
        ctx.facts.put("tls.not_after", t.notAfter().toString());
        ctx.facts.put("tls.days_left", String.format(Locale.ROOT, "%.3f", days));
        ctx.facts.put("tls.subject", t.subject());
        ctx.facts.put("tls.issuer", t.issuer());
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

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
