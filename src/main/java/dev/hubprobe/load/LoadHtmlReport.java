package dev.hubprobe.load;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hubprobe.json.Json;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.web.Html;
import dev.hubprobe.web.WebController;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A load test as one self-contained HTML file, to attach to a ticket or a CI job: uPlot and the data
 * are inlined (no CDN, no server), with latency over time per phase, the percentile table, runs and
 * failures by reason over time, and every run.
 */
public final class LoadHtmlReport {
    private static final String UPLOT = "META-INF/resources/webjars/uplot/" + WebController.UPLOT_VERSION + "/dist/";

    private LoadHtmlReport() {
    }

    public static void write(LoadResults results, String hub, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, render(results, hub), StandardCharsets.UTF_8);
    }

    static String render(LoadResults results, String hub) throws IOException {
        List<LoadResults.Run> runs = new ArrayList<>(results.counted());
        runs.sort(Comparator.comparing(r -> r.result().startedAt()));
        StringBuilder b = new StringBuilder(64 * 1024);
        b.append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
                .append("<title>hubprobe load test: ").append(Html.esc(hub)).append("</title><style>")
                .append(resource(UPLOT + "uPlot.min.css")).append(STYLE).append("</style></head><body><main>")
                .append("<h1>Load test of ").append(Html.esc(hub)).append("</h1><p class=\"summary\">");
        ObjectNode summary = results.toJson();
        b.append(String.format(Locale.ROOT, "%d users, %d runs, %d failed (%.1f%%), %.0f s, %.1f runs per minute",
                summary.path("users").asInt(), summary.path("runs").asInt(), summary.path("failed").asInt(),
                100 * summary.path("error_rate").asDouble(), summary.path("duration_seconds").asDouble(),
                summary.path("throughput_per_minute").asDouble()));
        if (results.startedAt() != null) {
            b.append(", started ").append(Html.esc(Html.second(results.startedAt())));
        }
        b.append(".</p>");

        b.append("<h2>Latency over time</h2><p>Each point is one run's phase, at the time the run started.</p>")
                .append("<div id=\"latency\" class=\"chart\" role=\"img\" aria-label=\"phase latency of every run over time\"></div>");

        b.append("<h2>Percentiles</h2><table><thead><tr><th scope=\"col\">phase</th><th scope=\"col\">runs</th>")
                .append("<th scope=\"col\">p50 s</th><th scope=\"col\">p90 s</th><th scope=\"col\">p99 s</th><th scope=\"col\">max s</th>")
                .append("</tr></thead><tbody>");
        results.phases().forEach((p, s) -> row(b, p.label(), s));
        row(b, "whole run", results.runDurations());
        b.append("</tbody></table>");

        b.append("<h2>Runs and failures over time</h2><p>Runs that finished each minute: passed, and failed by reason.</p>")
                .append("<div id=\"failures\" class=\"chart\" role=\"img\" aria-label=\"runs per minute, failures by reason\"></div>");
        Map<String, Integer> failures = results.failures();
        if (failures.isEmpty()) {
            b.append("<p>No run failed.</p>");
        } else {
            b.append("<ul>");
            failures.forEach((reason, n) -> b.append("<li>").append(Html.esc(reason)).append(": ").append(n).append("</li>"));
            b.append("</ul>");
        }

        b.append("<h2>Runs</h2><table><thead><tr><th scope=\"col\">started</th><th scope=\"col\">user</th><th scope=\"col\">result</th>")
                .append("<th scope=\"col\">seconds</th><th scope=\"col\">spawn s</th><th scope=\"col\">failed phase</th>")
                .append("<th scope=\"col\">reason</th><th scope=\"col\">message</th></tr></thead><tbody>");
        for (LoadResults.Run r : runs) {
            var res = r.result();
            double spawn = res.phases().stream().filter(p -> p.phase() == Phase.SPAWN && p.status() == PhaseResult.Status.PASSED)
                    .mapToDouble(p -> p.duration().toNanos() / 1e9).findFirst().orElse(Double.NaN);
            b.append("<tr><td>").append(Html.esc(Html.second(res.startedAt()))).append("</td><td>").append(Html.esc(r.user()))
                    .append("</td><td>").append(res.passed() ? "passed" : "<strong>failed</strong>").append("</td><td>")
                    .append(String.format(Locale.ROOT, "%.3f", res.duration().toNanos() / 1e9)).append("</td><td>")
                    .append(Double.isNaN(spawn) ? "" : String.format(Locale.ROOT, "%.3f", spawn)).append("</td><td>")
                    .append(res.passed() ? "" : Html.esc(res.failedPhaseLabel())).append("</td><td>")
                    .append(res.passed() ? "" : Html.esc(res.reason().label())).append("</td><td>")
                    .append(Html.esc(res.message() == null ? "" : Json.abbreviate(res.message(), 300))).append("</td></tr>");
        }
        b.append("</tbody></table></main>");
        b.append("<script type=\"application/json\" id=\"data\">")
                .append(data(runs).toString().replace("</", "<\\/")).append("</script>")
                .append("<script>").append(resource(UPLOT + "uPlot.iife.min.js")).append("</script>")
                .append("<script>").append(SCRIPT).append("</script></body></html>\n");
        return b.toString();
    }

    private static void row(StringBuilder b, String name, LoadResults.Stats s) {
        b.append(String.format(Locale.ROOT, "<tr><th scope=\"row\">%s</th><td>%d</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%.3f</td></tr>",
                Html.esc(name), s.count(), s.p50(), s.p90(), s.p99(), s.max()));
    }

    /**
     * The charts' data in uPlot's shape: {@code latency} one x (run start, epoch seconds) with one series
     * per phase (null where a run has none), {@code minutes} one x per minute with passed and each reason.
     */
    static ObjectNode data(List<LoadResults.Run> runs) {
        TreeSet<Phase> phases = new TreeSet<>();
        runs.forEach(r -> {
            r.result().phases().stream().filter(p -> p.status() == PhaseResult.Status.PASSED).forEach(p -> phases.add(p.phase()));
            r.result().spawnPhases().forEach(p -> phases.add(p.phase()));
        });
        ObjectNode out = Json.object();
        ArrayNode names = out.putArray("phases");
        phases.forEach(p -> names.add(p.label()));
        ArrayNode latency = out.putArray("latency");
        ArrayNode xs = latency.addArray();
        List<ArrayNode> series = new ArrayList<>();
        phases.forEach(p -> series.add(latency.addArray()));
        for (LoadResults.Run r : runs) {
            xs.add(r.result().startedAt().toEpochMilli() / 1000.0);
            int i = 0;
            for (Phase p : phases) {
                List<PhaseResult> all = new ArrayList<>(r.result().phases());
                all.addAll(r.result().spawnPhases());
                Double d = all.stream().filter(x -> x.phase() == p && x.status() == PhaseResult.Status.PASSED)
                        .map(x -> x.duration().toNanos() / 1e9).findFirst().orElse(null);
                if (d == null) {
                    series.get(i).addNull();
                } else {
                    series.get(i).add(Math.round(d * 1000) / 1000.0);
                }
                i++;
            }
        }
        // runs per minute of their end: passed, and each failure reason
        TreeMap<Long, Map<String, Integer>> byMinute = new TreeMap<>();
        TreeSet<String> reasons = new TreeSet<>();
        for (LoadResults.Run r : runs) {
            long minute = r.result().startedAt().plus(r.result().duration()).getEpochSecond() / 60 * 60;
            String key = r.result().passed() ? "passed" : r.result().reason().label();
            if (!r.result().passed()) {
                reasons.add(key);
            }
            byMinute.computeIfAbsent(minute, k -> new TreeMap<>()).merge(key, 1, Integer::sum);
        }
        ArrayNode reasonNames = out.putArray("reasons");
        reasons.forEach(reasonNames::add);
        ArrayNode minutes = out.putArray("minutes");
        ArrayNode mx = minutes.addArray();
        ArrayNode passed = minutes.addArray();
        List<ArrayNode> failed = new ArrayList<>();
        reasons.forEach(r -> failed.add(minutes.addArray()));
        byMinute.forEach((m, counts) -> {
            mx.add(m);
            passed.add(counts.getOrDefault("passed", 0));
            int i = 0;
            for (String reason : reasons) {
                failed.get(i++).add(counts.getOrDefault(reason, 0));
            }
        });
        return out;
    }

    private static String resource(String path) throws IOException {
        try (InputStream in = LoadHtmlReport.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IOException(path + " is missing from the build");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static final String STYLE = """
            :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
            main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
            table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
            th, td { text-align: left; padding: 0.25rem 0.5rem; border-bottom: 1px solid #8884; vertical-align: top; }
            td { font-variant-numeric: tabular-nums; }
            .chart { min-height: 320px; margin: 0.5rem 0 1rem; }
            .summary { font-size: 1.1rem; }
            """;

    /** Draws the two charts from the inlined data; points for latency (runs are events), bars per minute. */
    private static final String SCRIPT = """
            (function () {
              var d = JSON.parse(document.getElementById('data').textContent);
              var colours = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f',
                             '#bcbd22', '#17becf', '#393b79', '#637939', '#8c6d31', '#843c39', '#7b4173', '#3182bd'];
              function width(el) { return Math.max(320, el.clientWidth || 800); }
              function fromZero(u, min, max) { return [0, Math.max(1, max) * 1.1]; }
              var lat = document.getElementById('latency');
              var series = [{}];
              d.phases.forEach(function (p, i) {
                series.push({label: p, stroke: colours[i % colours.length], paths: function () { return null; },
                             points: {show: true, size: 5, fill: colours[i % colours.length]},
                             value: function (u, v) { return v == null ? '-' : v.toFixed(3) + ' s'; }});
              });
              new uPlot({width: width(lat), height: 320, series: series,
                         axes: [{}, {label: 'seconds'}], scales: {x: {time: true}, y: {range: fromZero}}}, d.latency, lat);
              var fail = document.getElementById('failures');
              var bars = uPlot.paths.bars({size: [0.6, 60]});
              var fseries = [{}, {label: 'passed', stroke: '#2ca02c', fill: '#2ca02c66', paths: bars}];
              d.reasons.forEach(function (r, i) {
                fseries.push({label: r, stroke: colours[(i + 3) % colours.length], fill: colours[(i + 3) % colours.length] + '99', paths: bars});
              });
              new uPlot({width: width(fail), height: 260, series: fseries,
                         axes: [{}, {label: 'runs'}], scales: {x: {time: true}, y: {range: fromZero}}}, d.minutes, fail);
            })();
            """;
}
