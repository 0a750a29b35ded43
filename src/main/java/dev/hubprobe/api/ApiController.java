package dev.hubprobe.api;

import dev.hubprobe.json.Json;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hubprobe.alerting.Alert;
import dev.hubprobe.alerting.AlertPolicy;
import dev.hubprobe.config.Durations;
import dev.hubprobe.config.Secret;
import dev.hubprobe.metrics.ProbeMetrics;
import dev.hubprobe.probe.ProbeKey;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.report.JsonReport;
import dev.hubprobe.schedule.ScheduledProbe;
import dev.hubprobe.service.ServiceState;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The HTTP API: read-only views of results and history, the Prometheus scrape, and two writes
 * behind the configured bearer token ("run now" for CI, and reload). Reads need a
 * token when {@code server.read_token} is set or the status page is public ({@link ReadAccessFilter}). No response carries a secret: results are
 * redacted when made, and configuration is shown by name only.
 *
 * <p>Every handler runs on Micronaut's blocking pool, never the event loop: a {@code wait=true} run
 * takes minutes and a history query takes a while, and neither may hold up /health or /metrics.
 */
@Controller
@ExecuteOn(TaskExecutors.BLOCKING)
public class ApiController {
    /** A probe that failed, asked for with {@code wait=true}: the hub (a dependency of the request) failed. */
    static final HttpStatus PROBE_FAILED = HttpStatus.FAILED_DEPENDENCY;

    @Inject
    ServiceState state;

    /** Up, and able to record what it finds: 503 while runs cannot be written to the history. */
    @Get(uri = "/health", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<ObjectNode> health() {
        ObjectNode body = Json.object().put("probes", state.config().probes().size())
                .put("running", state.scheduler().running());
        ObjectNode history = body.putObject("history").put("write_failures", state.history().writeFailures());
        Optional<String> failing = state.history().lastWriteError();
        failing.ifPresent(e -> history.put("last_error", e));
        body.put("status", failing.isPresent() ? "failing" : "ok");
        return HttpResponse.status(failing.isPresent() ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.OK).body(body);
    }

    @Get(uri = "/metrics", produces = {MediaType.TEXT_PLAIN, "application/openmetrics-text"})
    public HttpResponse<?> metrics(@Header("Accept") @Nullable String accept) {
        return HttpResponse.ok(state.metrics().exposition(accept)).contentType(ProbeMetrics.contentType(accept));
    }

    /** The latest result of every configured (hub, probe), null for pairs that have not run yet. */
    @Get(uri = "/api/v1/hubs", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<?> hubs() {
        Map<ProbeKey, RunResult> latest = state.history().latest(state.config().probes().stream().map(ScheduledProbe::key).toList());
        ArrayNode out = Json.array();
        for (ScheduledProbe p : state.config().probes()) {
            ObjectNode o = out.addObject().put("hub", p.hub()).put("probe", p.probe().name())
                    .put("interval", Durations.format(p.interval()));
            RunResult r = latest.get(p.key());
            if (r == null) {
                o.putNull("status");
                o.putNull("last_run");
            } else {
                o.put("status", r.status());
                o.set("last_run", JsonReport.toJson(r));
            }
        }
        return HttpResponse.ok(out);
    }

    @Get(uri = "/api/v1/runs", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<?> runs(@QueryValue @Nullable String hub, @QueryValue @Nullable String probe,
                                @QueryValue @Nullable String since, @QueryValue @Nullable String limit,
                                @QueryValue @Nullable String status) {
        if (status != null && !status.equals("passed") && !status.equals("failed")) {
            return error(HttpStatus.BAD_REQUEST, "status must be passed or failed, not '" + Json.abbreviate(status, 40) + "'");
        }
        int n = 100;
        if (limit != null) {
            try {
                n = Integer.parseInt(limit);
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 1 || n > 1000) {
                return error(HttpStatus.BAD_REQUEST, "limit must be a whole number from 1 to 1000, not '" + limit + "'");
            }
        }
        Instant from = null;
        if (since != null) {
            try {
                from = Instant.parse(since);
            } catch (DateTimeParseException e) {
                try {
                    from = Instant.now().minus(Durations.parse(since));
                } catch (IllegalArgumentException e2) {
                    return error(HttpStatus.BAD_REQUEST, "since must be a time like 2026-11-22T10:00:00Z or an age like 6h, not '" + since + "'");
                }
            }
        }
        ArrayNode out = Json.array();
        state.history().runs(hub, probe, from, status == null ? null : status.equals("passed"), n)
                .forEach(r -> out.add(JsonReport.toJson(r)));
        return HttpResponse.ok(out);
    }

    @Get(uri = "/api/v1/runs/{id}", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<?> run(@PathVariable String id) {
        return state.history().run(id).<HttpResponse<?>>map(r -> HttpResponse.ok(JsonReport.toJson(r)))
                .orElseGet(() -> error(HttpStatus.NOT_FOUND, "no run with id '" + id + "'"));
    }

    /**
     * Runs a probe now. With {@code wait=true} the answer is the result, with 200 when it passed and
     * 424 when it failed, so {@code curl --fail} fails a CI job; otherwise 202 at once.
     */
    @Post(uri = "/api/v1/hubs/{hub}/probes/{probe}/runs", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<?> runNow(@PathVariable String hub, @PathVariable String probe,
                                  @QueryValue @Nullable Boolean wait, @Header("Authorization") @Nullable String authorization) {
        Optional<HttpResponse<?>> denied = authorize(authorization);
        if (denied.isPresent()) {
            return denied.get();
        }
        ProbeKey key = new ProbeKey(hub, probe);
        Optional<ScheduledProbe> job = state.scheduler().job(key);
        if (job.isEmpty()) {
            return error(HttpStatus.NOT_FOUND, "no probe '" + probe + "' is configured for hub '" + hub + "'");
        }
        Future<RunResult> run;
        try {
            run = state.runNow(key).orElseThrow();
        } catch (RejectedExecutionException e) {
            return error(HttpStatus.SERVICE_UNAVAILABLE, "every run slot (scheduler.threads) is taken; try again later");
        }
        if (wait == null || !wait) {
            return HttpResponse.accepted().body(Json.object().put("status", "started").put("hub", hub).put("probe", probe));
        }
        try {
            RunResult r = run.get(job.get().probe().budget().toSeconds(), TimeUnit.SECONDS);
            return HttpResponse.status(r.passed() ? HttpStatus.OK : PROBE_FAILED).body(JsonReport.toJson(r));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return error(HttpStatus.SERVICE_UNAVAILABLE, "interrupted while waiting for the run");
        } catch (ExecutionException | TimeoutException e) {
            return error(HttpStatus.INTERNAL_SERVER_ERROR, "the run did not complete: " + e.getClass().getSimpleName());
        }
    }

    /** The alerts firing now, as their receivers were told. */
    @Get(uri = "/api/v1/alerts", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<?> alerts() {
        ArrayNode out = Json.array();
        for (Alert a : state.alerts().firing()) {
            ObjectNode o = out.addObject();
            ObjectNode labels = o.putObject("labels");
            state.alerts().labels(a).forEach(labels::put);
            ObjectNode notes = o.putObject("annotations");
            a.annotations().forEach(notes::put);
            o.put("starts_at", a.startsAt() == null ? null : a.startsAt().toString());
        }
        return HttpResponse.ok(out);
    }

    /** Silences a hub's alerts for a while ({@code for=2h}): planned maintenance not in the config. */
    @Post(uri = "/api/v1/hubs/{hub}/silence", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<?> silence(@PathVariable String hub, @QueryValue("for") @Nullable String duration,
                                   @QueryValue @Nullable String reason, @Header("Authorization") @Nullable String authorization) {
        Optional<HttpResponse<?>> denied = authorize(authorization);
        if (denied.isPresent()) {
            return denied.get();
        }
        if (state.config().probes().stream().noneMatch(p -> p.hub().equals(hub))) {
            return error(HttpStatus.NOT_FOUND, "no hub '" + hub + "' is configured");
        }
        java.time.Duration d;
        try {
            d = Durations.parse(duration == null ? "" : duration);
        } catch (IllegalArgumentException e) {
            return error(HttpStatus.BAD_REQUEST, "for: " + e.getMessage());
        }
        Instant until = Instant.now().plus(d);
        state.alerts().store().silence(hub, until, reason);
        return HttpResponse.ok(Json.object().put("hub", hub).put("silenced_until", until.toString()));
    }

    /**
     * The baseline of each phase of a (hub, probe): what {@code hubprobe check --baseline-from} compares
     * a post-deploy run against, with the hub's regression thresholds.
     */
    @Get(uri = "/api/v1/baselines", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<?> baselines(@QueryValue @Nullable String hub, @QueryValue @Nullable String probe) {
        if (hub == null || probe == null) {
            return error(HttpStatus.BAD_REQUEST, "hub and probe are required");
        }
        AlertPolicy p = state.config().policy(hub);
        ObjectNode out = Json.object().put("hub", hub).put("probe", probe).put("factor", p.factor())
                .put("min_delta_seconds", p.minDelta().toMillis() / 1000.0)
                .put("window", Durations.format(p.window()));
        ObjectNode phases = out.putObject("phases");
        state.alerts().baselines().of(new ProbeKey(hub, probe), p).forEach((phase, b) -> phases.putObject(phase)
                .put("baseline_seconds", b.baseline()).put("samples", b.samples()).put("current_seconds", b.current()));
        return HttpResponse.ok(out);
    }

    /** Reloads the configuration file; a bad one is refused (400, with the error) and the running one kept. */
    @Post(uri = "/-/reload", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<?> reload(@Header("Authorization") @Nullable String authorization) {
        Optional<HttpResponse<?>> denied = authorize(authorization);
        if (denied.isPresent()) {
            return denied.get();
        }
        return state.reload().<HttpResponse<?>>map(err -> error(HttpStatus.BAD_REQUEST, err))
                .orElseGet(() -> HttpResponse.ok(Json.object().put("status", "reloaded")));
    }

    private Optional<HttpResponse<?>> authorize(String header) {
        Secret token = state.config().apiToken();
        if (token == null) {
            return Optional.of(error(HttpStatus.FORBIDDEN, "no server.api_token is configured: writes through the API are off"));
        }
        return matches(header, token) ? Optional.empty() : Optional.of(unauthorized());
    }

    private static boolean matches(String header, Secret token) {
        String given = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : "";
        return MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), token.reveal().getBytes(StandardCharsets.UTF_8));
    }

    private static HttpResponse<?> unauthorized() {
        return HttpResponse.status(HttpStatus.UNAUTHORIZED).header("WWW-Authenticate", "Bearer")
                .contentType(MediaType.APPLICATION_JSON_TYPE).body(Json.object().put("error", "a valid bearer token is required"));
    }

    static HttpResponse<ObjectNode> error(HttpStatus status, String message) {
        return HttpResponse.<ObjectNode>status(status).body(Json.object().put("error", message));
    }
}
