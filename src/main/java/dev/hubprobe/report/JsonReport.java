package dev.hubprobe.report;

import dev.hubprobe.environment.Environment;
import dev.hubprobe.environment.EnvironmentDiff;
import dev.hubprobe.json.Json;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.RunResult;

/** One JSON object per run: the shape CI scripts and the HTTP API read. */
public final class JsonReport {
    private static final String TLS = "tls.";
    private static final String ENDPOINT = "tls.endpoint.";

    private JsonReport() {
    }

    public static ObjectNode toJson(RunResult r) {
        ObjectNode o = Json.object();
        o.put("run_id", r.runId());
        o.put("hub", r.hub());
        o.put("probe", r.probe());
        o.put("user", r.user());
        o.put("status", r.status());
        o.put("confirming", r.confirming());
        o.put("failed_phase", r.passed() ? null : r.failedPhaseLabel());
        o.put("reason", r.passed() ? null : r.reason().label());
        o.put("message", r.message());
        o.put("started_at", Json.instant(r.startedAt()));
        o.put("duration_seconds", seconds(r.duration()));
        ArrayNode phases = o.putArray("phases");
        for (PhaseResult p : r.phases()) {
            ObjectNode po = phases.addObject();
            po.put("name", p.label());
            po.put("status", p.status().label());
            po.put("duration_seconds", seconds(p.duration()));
            if (p.reason() != null) {
                po.put("reason", p.reason().label());
                po.put("message", p.message());
            }
        }
        ArrayNode spawn = o.putArray("spawn_phases");
        for (PhaseResult p : r.spawnPhases()) {
            spawn.addObject().put("name", p.label()).put("duration_seconds", seconds(p.duration()));
        }
        if (r.scaleUpObserved() == null) {
            o.putNull("scale_up_observed");
        } else {
            o.put("scale_up_observed", r.scaleUpObserved());
        }
        ObjectNode facts = o.putObject("facts");
        ObjectNode tls = Json.object();
        java.util.Map<String, ObjectNode> endpoints = new java.util.TreeMap<>();
        r.facts().forEach((k, v) -> {
            if (k.startsWith(ENDPOINT)) {
                String rest = k.substring(ENDPOINT.length());
                int dot = rest.lastIndexOf('.');
                ObjectNode e = endpoints.computeIfAbsent(rest.substring(0, dot), n -> Json.object().put("name", n));
                String key = rest.substring(dot + 1);
                if (key.equals("days_left")) {
                    e.put(key, Double.parseDouble(v));
                } else {
                    e.put(key, v);
                }
            } else if (k.startsWith(TLS)) {
                String key = k.substring(TLS.length());
                if (key.equals("days_left")) {
                    tls.put(key, Double.parseDouble(v));
                } else {
                    tls.put(key, v);
                }
            } else if (!k.equals(RunResult.CONFIRMING_FACT)) { // shown as "confirming" above
                facts.put(k, v);
            }
        });
        if (!tls.isEmpty()) {
            o.set("tls", tls); // the hub's certificate: not_after, days_left, subject, issuer
        }
        if (!endpoints.isEmpty()) {
            endpoints.values().forEach(o.putArray("tls_endpoints")::add);
        }
        o.set("environment", environment(r.environment()));
        ObjectNode transcript = o.putObject("transcript");
        ArrayNode events = transcript.putArray("events");
        r.transcript().events().forEach(e -> events.addObject().put("at_seconds", e.atSeconds()).put("message", e.message()));
        ArrayNode cells = transcript.putArray("cells");
        r.transcript().cells().forEach(c -> cells.addObject().put("code", c.code()).put("output", c.output()).put("error", c.error()));
        ArrayNode notes = o.putArray("notes");
        r.notes().forEach(notes::add);
        // in base units: unit is "seconds", "bytes" or "" (a plain number)
        ArrayNode measured = o.putArray("measurements");
        r.measurements().forEach(m -> measured.addObject().put("name", m.name()).put("value", m.value()).put("unit", m.unit()));
        return o;
    }

    static com.fasterxml.jackson.databind.JsonNode environment(Environment env) {
        if (env == null) {
            return com.fasterxml.jackson.databind.node.NullNode.getInstance();
        }
        ObjectNode e = Json.object();
        e.put("fingerprint", env.fingerprint());
        e.put("image", env.image());
        if (env.pulledImage() != null) {
            e.put("pulled_image", env.pulledImage());
        }
        e.put("python", env.python());
        e.put("packages", env.packageCount());
        e.put("truncated", env.truncated());
        e.put("changed", env.changed());
        e.set("diff", diff(env.diff()));
        Environment.SinceLastPass since = env.sinceLastPass();
        if (since != null) {
            ObjectNode s = e.putObject("since_last_pass");
            s.put("run_id", since.runId());
            s.put("started_at", Json.instant(since.at()));
            s.put("fingerprint", since.fingerprint());
            s.put("summary", since.line(EnvironmentDiff.SUMMARY_ENTRIES));
            s.set("diff", diff(since.diff()));
        }
        return e;
    }

    /** {@code {"image": {"from","to"} | null, "added": [...], "removed": [...], "changed": [{"name","from","to"}]}}, or null. */
    public static com.fasterxml.jackson.databind.JsonNode diff(EnvironmentDiff d) {
        return d == null ? com.fasterxml.jackson.databind.node.NullNode.getInstance() : Json.mapper().valueToTree(d);
    }

    public static String render(RunResult r) {
        return Json.pretty(toJson(r));
    }

    static double seconds(java.time.Duration d) {
        return d.toNanos() / 1e9;
    }
}
