package dev.hubprobe.web;

import static dev.hubprobe.web.Html.esc;
import static dev.hubprobe.web.Html.seg;

import dev.hubprobe.json.Json;
import dev.hubprobe.probe.RunResult;
import java.time.Instant;
import java.util.List;

/** {@code GET /hubs/{hub}}: a hub's runs, newest first, a page at a time, all or only passed or failed. */
final class HubPage {
    static final int PAGE_SIZE = 50;

    private HubPage() {
    }

    /** Each measurement the page's runs reported, per probe, charted over those runs (oldest at the left). */
    private static void measurements(StringBuilder h, List<RunResult> runs) {
        java.util.Map<String, List<java.util.Map.Entry<Double, String>>> series = new java.util.TreeMap<>();
        java.util.Map<String, String> latest = new java.util.HashMap<>();
        for (int i = runs.size() - 1; i >= 0; i--) { // the page is newest first
            RunResult r = runs.get(i);
            for (dev.hubprobe.probe.Measurement m : r.measurements()) {
                String key = r.probe() + "\u0000" + m.name();
                series.computeIfAbsent(key, k -> new java.util.ArrayList<>())
                        .add(java.util.Map.entry(m.value(), Html.second(r.startedAt()) + ": " + m.display()));
                latest.put(key, m.display());
            }
        }
        if (series.isEmpty()) {
            return;
        }
        h.append("<section aria-labelledby=\"measurements-h\"><h2 id=\"measurements-h\">Measurements</h2><div class=\"scroll\">"
                + "<table id=\"measurements\"><thead><tr><th scope=\"col\">Probe</th><th scope=\"col\">Measurement</th>"
                + "<th scope=\"col\">Latest</th><th scope=\"col\">Over these runs</th></tr></thead><tbody>");
        series.forEach((key, points) -> {
            String[] pm = key.split("\u0000", 2);
            h.append("<tr data-measurement=\"").append(esc(pm[1])).append("\"><td>").append(Html.probe(pm[0])).append("</td><th scope=\"row\">")
                    .append(esc(pm[1])).append("</th><td class=\"num\">").append(esc(latest.get(key))).append("</td><td>")
                    .append(Svg.series(Html.probeText(pm[0]) + " " + pm[1] + " over " + points.size() + " runs", points)).append("</td></tr>");
        });
        h.append("</tbody></table></div></section>");
    }

    static String render(String hub, List<RunResult> runs, int page, String status, boolean more, Instant now) {
        StringBuilder h = new StringBuilder();
        String title = "Runs of hub " + hub;
        h.append("<header class=\"top\"><p class=\"crumbs\"><a href=\"").append(Html.url("")).append("\">Status</a></p><h1>").append(esc(title)).append("</h1>");
        h.append("<nav aria-label=\"Filter\"><p>Show: ");
        for (String s : new String[] {null, "passed", "failed"}) {
            String label = s == null ? "all" : s;
            String href = Html.url("hubs/") + seg(hub) + (s == null ? "" : "?status=" + s);
            h.append(java.util.Objects.equals(s, status) ? "<strong aria-current=\"page\">" + label + "</strong>" : "<a href=\"" + href + "\">" + label + "</a>")
                    .append(" ");
        }
        h.append("</p></nav></header><main>");
        measurements(h, runs);
        if (runs.isEmpty()) {
            h.append("<p>No runs").append(page > 1 ? " on this page" : "").append(".</p>");
        } else {
            h.append("<div class=\"scroll\"><table id=\"runs\"><caption class=\"sr-only\">").append(esc(title)).append(", page ").append(page)
                    .append("</caption><thead><tr><th scope=\"col\">Started</th><th scope=\"col\">Probe</th><th scope=\"col\">Status</th>"
                            + "<th scope=\"col\">Seconds</th><th scope=\"col\">Failed in</th><th scope=\"col\">Why</th></tr></thead><tbody>");
            for (RunResult r : runs) {
                h.append("<tr class=\"").append(r.status()).append("\"><td><a href=\"").append(Html.url("runs/")).append(seg(r.runId()))
                        .append("\">").append(Html.second(r.startedAt())).append("</a></td><td>").append(Html.probe(r.probe())).append("</td><td>")
                        .append(RunPage.badge(r)).append("</td><td class=\"num\">")
                        .append(String.format(java.util.Locale.ROOT, "%.1f", r.duration().toMillis() / 1000.0)).append("</td><td>")
                        .append(r.passed() ? "" : esc(r.failedPhaseLabel())).append("</td><td>")
                        .append(r.passed() ? "" : "<code>" + esc(r.reason().label()) + "</code> " + esc(Json.abbreviate(r.message(), 200)))
                        .append("</td></tr>");
            }
            h.append("</tbody></table></div>");
        }
        String base = Html.url("hubs/") + seg(hub) + "?" + (status == null ? "" : "status=" + status + "&amp;") + "page=";
        h.append("<nav class=\"pages\" aria-label=\"Pages\"><p>");
        if (page > 1) {
            h.append("<a rel=\"prev\" href=\"").append(base).append(page - 1).append("\">‹ newer</a> ");
        }
        h.append("page ").append(page);
        if (more) {
            h.append(" <a rel=\"next\" href=\"").append(base).append(page + 1).append("\">older ›</a>");
        }
        h.append("</p></nav></main>");
        return Html.page(title, h.toString(), false);
    }
}
