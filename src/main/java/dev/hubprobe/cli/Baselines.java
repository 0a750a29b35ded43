package dev.hubprobe.cli;

import dev.hubprobe.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hubprobe.alerting.AlertPolicy;
import dev.hubprobe.config.Secret;
import dev.hubprobe.environment.Environment;
import dev.hubprobe.environment.EnvironmentDiff;
import dev.hubprobe.environment.Package;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.RunResult;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Compares a post-deploy run with what a running service learned of the same hub: the baselines of
 * its phases, and the user environment of its last passing run.
 */
final class Baselines {
    private Baselines() {
    }

    /**
     * The service answered 401: its reads need {@code server.read_token}, and none (or the wrong one) was
     * given. The message names the options that give it, never the token.
     */
    static final class Unauthorized extends IOException {
        Unauthorized(String message) {
            super(message);
        }
    }

    /**
     * The phases that regressed, described for a person; empty when none did.
     *
     * @param token the service's read token ({@code server.read_token}), or null for a service whose reads are open
     */
    static List<String> regressions(String service, Secret token, RunResult run) throws IOException {
        HttpUrl base = HttpUrl.parse(service);
        if (base == null) {
            throw new IOException("'" + service + "' is not an http(s) URL");
        }
        JsonNode b = get(token, base.newBuilder().encodedPath("/api/v1/baselines").addQueryParameter("hub", run.hub())
                .addQueryParameter("probe", run.probe()).build());
        double factor = b.path("factor").asDouble(2.0);
        double minDelta = b.path("min_delta_seconds").asDouble(30);
        List<PhaseResult> phases = new ArrayList<>(run.phases());
        phases.addAll(run.spawnPhases());
        List<String> out = new ArrayList<>();
        for (PhaseResult p : phases) {
            JsonNode baseline = b.path("phases").path(p.label()).get("baseline_seconds");
            if (p.status() != PhaseResult.Status.PASSED || baseline == null) {
                continue;
            }
            double now = p.duration().toNanos() / 1e9;
            double usual = baseline.asDouble();
            if (AlertPolicy.regressed(now, usual, factor, minDelta)) {
                out.add(String.format(Locale.ROOT, "%s took %.3f s against a baseline of %.3f s (%.1fx)", p.label(),
                        now, usual, usual > 0 ? now / usual : Double.POSITIVE_INFINITY));
            }
        }
        return out;
    }

    /** The service's last passing run of a hub that captured an environment, and how this run's differs from it. */
    record EnvironmentChange(String runId, Instant at, String fingerprint, EnvironmentDiff diff) {
        String line() {
            String when = at.toString().substring(0, 16).replace('T', ' ') + " UTC";
            return diff.empty() ? "environment unchanged since the service's last passing run (" + when + ", " + fingerprint + ")"
                    : "environment changed since the service's last passing run (" + when + ", " + fingerprint + "): "
                    + diff.summary(Integer.MAX_VALUE);
        }
    }

    /**
     * Compares this run's environment with that of the service's last passing run of the same hub (of the
     * same probe when it has one, else of any): what a deploy changed in the user image.
     *
     * @return empty when the service has no passing run of the hub with an environment
     */
    static Optional<EnvironmentChange> environmentChange(String service, Secret token, RunResult run) throws IOException {
        HttpUrl base = HttpUrl.parse(service);
        if (base == null) {
            throw new IOException("'" + service + "' is not an http(s) URL");
        }
        JsonNode last = null;
        for (String probe : new String[] {run.probe(), null}) {
            HttpUrl.Builder runs = base.newBuilder().encodedPath("/api/v1/runs").addQueryParameter("hub", run.hub())
                    .addQueryParameter("status", "passed").addQueryParameter("limit", "50");
            if (probe != null) {
                runs.addQueryParameter("probe", probe);
            }
            for (JsonNode r : get(token, runs.build())) {
                if (r.path("environment").hasNonNull("fingerprint")) {
                    last = r;
                    break;
                }
            }
            if (last != null) {
                break;
            }
        }
        if (last == null) {
            return Optional.empty();
        }
        String fingerprint = last.path("environment").path("fingerprint").asText();
        JsonNode env = get(token, base.newBuilder().encodedPath("/api/v1/hubs").addPathSegment(run.hub()).addPathSegment("environments")
                .addPathSegment(fingerprint).build());
        List<Package> packages = new ArrayList<>();
        for (JsonNode p : env.path("packages")) {
            packages.add(new Package(p.path("name").asText(), p.path("version").asText(""), p.path("build").asText(null),
                    p.path("channel").asText(null)));
        }
        Environment before = Environment.stored(fingerprint, env.path("image").asText(null), env.path("python").asText(null),
                packages, env.path("truncated").asBoolean());
        return Optional.of(new EnvironmentChange(last.path("run_id").asText(), Instant.parse(last.path("started_at").asText()),
                fingerprint, EnvironmentDiff.between(before, run.environment())));
    }

    private static JsonNode get(Secret token, HttpUrl url) throws IOException {
        OkHttpClient http = new OkHttpClient.Builder().callTimeout(15, TimeUnit.SECONDS).build();
        Request.Builder request = new Request.Builder().url(url);
        if (token != null) {
            request.header("Authorization", "Bearer " + token.reveal());
        }
        try (Response r = http.newCall(request.build()).execute()) {
            if (r.code() == 401) {
                throw new Unauthorized(token == null
                        ? "the service needs a read token (its server.read_token) for GET " + url.encodedPath()
                        + ": give it with --baseline-token-env VAR or --baseline-token-file FILE"
                        : "the service refused the read token given with --baseline-token-env/--baseline-token-file (401 on GET "
                        + url.encodedPath() + "): it must be the service's server.read_token or server.api_token");
            }
            if (!r.isSuccessful()) {
                throw new IOException("GET " + url.encodedPath() + " answered " + r.code());
            }
            return Json.parse(r.body().string());
        } finally {
            http.dispatcher().executorService().shutdown();
            http.connectionPool().evictAll();
        }
    }
}
