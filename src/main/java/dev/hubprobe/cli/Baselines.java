package dev.hubprobe.cli;

import dev.hubprobe.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hubprobe.alerting.AlertPolicy;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.RunResult;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/** Compares a post-deploy run with the baselines a running service learned for the same hub and probe. */
final class Baselines {
    private Baselines() {
    }

    /** The phases that regressed, described for a person; empty when none did. */
    static List<String> regressions(String service, RunResult run) throws IOException {
        HttpUrl base = HttpUrl.parse(service);
        if (base == null) {
            throw new IOException("'" + service + "' is not an http(s) URL");
        }
        HttpUrl url = base.newBuilder().encodedPath("/api/v1/baselines").addQueryParameter("hub", run.hub())
                .addQueryParameter("probe", run.probe()).build();
        OkHttpClient http = new OkHttpClient.Builder().callTimeout(15, TimeUnit.SECONDS).build();
        JsonNode b;
        try (Response r = http.newCall(new Request.Builder().url(url).build()).execute()) {
            if (!r.isSuccessful()) {
                throw new IOException("GET /api/v1/baselines answered " + r.code());
            }
            b = Json.MAPPER.readTree(r.body().string());
        } finally {
            http.dispatcher().executorService().shutdown();
            http.connectionPool().evictAll();
        }
        double factor = b.path("factor").asDouble(2.0);
        double minDelta = b.path("min_delta_seconds").asDouble(30);
        List<PhaseResult> phases = new ArrayList<>(run.phases());
        phases.addAll(run.spawnPhases());
        List<String> out = new ArrayList<>();
        for (PhaseResult p : phases) {
            JsonNode baseline = b.path("phases").path(p.phase().label()).get("baseline_seconds");
            if (p.status() != PhaseResult.Status.PASSED || baseline == null) {
                continue;
            }
            double now = p.duration().toNanos() / 1e9;
            double usual = baseline.asDouble();
            if (AlertPolicy.regressed(now, usual, factor, minDelta)) {
                out.add(String.format(Locale.ROOT, "%s took %.3f s against a baseline of %.3f s (%.1fx)", p.phase().label(),
                        now, usual, usual > 0 ? now / usual : Double.POSITIVE_INFINITY));
            }
        }
        return out;
    }
}
