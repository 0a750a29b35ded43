package dev.hubprobe.web;

import static dev.hubprobe.web.Html.esc;
import static dev.hubprobe.web.Html.seg;

import dev.hubprobe.environment.Environment;
import dev.hubprobe.environment.EnvironmentDiff;
import dev.hubprobe.history.PageQueries;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.probe.Transcript;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * {@code GET /runs/{id}}: one run as a waterfall of its phases, the spawn broken down, the progress
 * events and each cell's output, its facts and environment, and its hub's previous and next runs.
 */
final class RunPage {
    private static final int WIDTH = 320;

    private RunPage() {
    }

    /** A run's status: passed, failed, or aborted (cut short by a stop: counted for nothing); confirming runs say so. */
    static String badge(RunResult r) {
        String state = r.aborted() ? "<span class=\"state aborted\">Aborted</span>"
                : StatusPage.badge(r.passed() ? Board.State.PASSING : Board.State.FAILING);
        return r.confirming() ? state + " <span class=\"confirming-tag\">confirming run</span>" : state;
    }

    static String render(RunResult r, PageQueries.Neighbours around, Instant now) {
        StringBuilder h = new StringBuilder();
        String title = "Run of " + Html.probeText(r.probe()) + " on " + r.hub();
        h.append("<header class=\"top\"><p class=\"crumbs\"><a href=\"").append(Html.url("")).append("\">Status</a> › <a href=\"")
                .append(Html.url("hubs/")).append(seg(r.hub())).append("\">")
                .append(esc(r.hub())).append("</a></p><h1>").append(esc(title)).append("</h1>");
        h.append("<p>").append(badge(r))
                .append(" · started ").append(Html.second(r.startedAt())).append(" (").append(Html.ago(r.startedAt(), now))
                .append(") · ").append(Html.seconds(r.duration())).append(" · user <code>").append(esc(r.user())).append("</code></p>");
        if (r.facts().containsKey("hub_version")) {
            // what the hub was when this run saw it: an upgrade between two runs is the first thing to rule out
            h.append("<p class=\"versions\">JupyterHub <code>").append(esc(r.facts().get("hub_version"))).append("</code>");
            if (r.facts().containsKey("server_version")) {
                h.append(" · single-user server <code>").append(esc(r.facts().get("server_version"))).append("</code>");
            }
            h.append("</p>");
        }
        if (r.confirming()) {
            h.append("<p class=\"confirming\" id=\"confirming\">A confirming run: the probe ran again at once after a failure,"
                    + " to tell an outage from a blip.</p>");
        }
        if (r.aborted()) {
            h.append("<p class=\"aborted\" id=\"aborted\">Cut short by a stop of the prober in <strong class=\"phase\">")
                    .append(esc(r.failedPhaseLabel())).append("</strong>: not a failure of the hub, and counted for nothing.</p>");
        } else if (!r.passed()) {
            h.append("<p class=\"failure\" id=\"failure\">Failed in <strong class=\"phase\">").append(esc(r.failedPhaseLabel()))
                    .append("</strong> with <code class=\"reason\">").append(esc(r.reason().label())).append("</code>: <span class=\"message\">")
                    .append(esc(r.message())).append("</span></p>");
        }
        h.append("<nav class=\"neighbours\" aria-label=\"Other runs of this hub\">");
        h.append(around.previous().map(id -> "<a rel=\"prev\" href=\"" + Html.url("runs/") + seg(id) + "\">‹ previous run</a>").orElse("<span>first run</span>"));
        h.append(" · ");
        h.append(around.next().map(id -> "<a rel=\"next\" href=\"" + Html.url("runs/") + seg(id) + "\">next run ›</a>").orElse("<span>latest run</span>"));
        h.append("</nav></header><main>");

        h.append("<section aria-labelledby=\"phases-h\"><h2 id=\"phases-h\">Phases</h2>");
        waterfall(h, r.phases(), r.duration().toNanos(), "phases");
        h.append("</section>");
        if (!r.spawnPhases().isEmpty()) {
            h.append("<section aria-labelledby=\"spawn-h\"><h2 id=\"spawn-h\">Spawn breakdown</h2>");
            long spawn = r.phases().stream().filter(p -> p.label().equals("spawn") || p.label().equals("build"))
                    .mapToLong(p -> p.duration().toNanos()).findFirst().orElse(r.duration().toNanos());
            waterfall(h, r.spawnPhases(), Math.max(spawn, 1), "spawn-phases");
            if (r.scaleUpObserved() != null) {
                h.append("<p>Scale-up observed: ").append(r.scaleUpObserved() ? "yes" : "no").append("</p>");
            }
            h.append("</section>");
        }
        measurements(h, r);
        if (r.facts().containsKey(dev.hubprobe.probe.ProbeRunner.SCREENSHOT_FACT)) {
            // the page as the browser showed it when the UI journey failed (served under the same guard as this page)
            h.append("<section aria-labelledby=\"screenshot-h\"><h2 id=\"screenshot-h\">The page when it failed</h2>")
                    .append("<p><img id=\"screenshot\" class=\"screenshot\" alt=\"Screenshot of the app's page in headless Chromium when ")
                    .append(esc(r.failedPhase() == null ? "the run ended" : r.failedPhaseLabel() + " failed"))
                    .append("\" src=\"").append(Html.url("runs/")).append(seg(r.runId())).append("/screenshot.png\" width=\"640\"></p></section>");
        }
        events(h, r.transcript().events());
        cells(h, r.transcript().cells());
        environment(h, r);
        h.append("<section aria-labelledby=\"facts-h\"><h2 id=\"facts-h\">Facts</h2><dl class=\"facts\">");
        r.facts().entrySet().stream().sorted(java.util.Map.Entry.comparingByKey())
                .forEach(e -> h.append("<dt>").append(esc(e.getKey())).append("</dt><dd>").append(esc(e.getValue())).append("</dd>"));
        h.append("</dl>");
        if (!r.notes().isEmpty()) {
            h.append("<h3>Notes</h3><ul>");
            r.notes().forEach(n -> h.append("<li>").append(esc(n)).append("</li>"));
            h.append("</ul>");
        }
        h.append("<p><a href=\"").append(Html.url("api/v1/runs/")).append(seg(r.runId())).append("\">This run as JSON</a></p></section></main>");
        return Html.page(title, h.toString(), false);
    }

    /** One row per phase: its status in words, its time, and a bar placed where it ran in the whole. */
    private static void waterfall(StringBuilder h, List<PhaseResult> phases, long totalNanos, String id) {
        h.append("<div class=\"scroll\"><table class=\"waterfall\" id=\"").append(id).append("\"><thead><tr><th scope=\"col\">Phase</th>"
                + "<th scope=\"col\">Status</th><th scope=\"col\">Seconds</th><th scope=\"col\">When</th><th scope=\"col\">Detail</th>"
                + "</tr></thead><tbody>");
        long offset = 0;
        for (PhaseResult p : phases) {
            String status = p.status().label();
            h.append("<tr class=\"").append(status).append("\" data-phase=\"").append(esc(p.label())).append("\"><th scope=\"row\">")
                    .append(esc(p.label())).append("</th><td>").append(p.status() == PhaseResult.Status.FAILED
                            ? "<strong>✗ failed</strong>" : p.status() == PhaseResult.Status.PASSED ? "✓ passed" : "– skipped")
                    .append("</td><td class=\"num\">").append(p.status() == PhaseResult.Status.SKIPPED ? "–"
                            : String.format(Locale.ROOT, "%.3f", p.duration().toNanos() / 1e9)).append("</td><td>");
            long d = p.duration().toNanos();
            if (p.status() != PhaseResult.Status.SKIPPED) {
                double x = WIDTH * Math.min(1.0, offset / (double) totalNanos);
                double w = Math.max(1, WIDTH * Math.min(1.0, d / (double) totalNanos));
                h.append(String.format(Locale.ROOT, "<svg class=\"bar\" width=\"%d\" height=\"12\" aria-hidden=\"true\">"
                        + "<rect x=\"%.1f\" y=\"1\" width=\"%.1f\" height=\"10\" rx=\"2\"/></svg>", WIDTH, Math.min(x, WIDTH - w), w));
            }
            h.append("</td><td>");
            if (p.reason() != null) {
                h.append("<code>").append(esc(p.reason().label())).append("</code>: ").append(esc(p.message()));
            }
            h.append("</td></tr>");
            if (!id.equals("spawn-phases")) {
                offset += d; // the main phases run one after another; spawn sub-phases overlap, so they are placed from the start
            }
        }
        h.append("</tbody></table></div>");
    }

    /**
     * What the cells measured: each value in words and as a bar against the largest of its unit in this
     * run (seconds beside seconds, bytes beside bytes), so the slow step or the small disk stands out.
     */
    private static void measurements(StringBuilder h, RunResult r) {
        if (r.measurements().isEmpty()) {
            return;
        }
        java.util.Map<String, Double> largest = new java.util.HashMap<>();
        r.measurements().forEach(m -> largest.merge(m.unit(), Math.abs(m.value()), Math::max));
        h.append("<section aria-labelledby=\"measurements-h\"><h2 id=\"measurements-h\">Measurements</h2><div class=\"scroll\">"
                + "<table id=\"measurements\"><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Value</th>"
                + "<th scope=\"col\">Base units</th><th scope=\"col\">Of the largest in its unit</th></tr></thead><tbody>");
        for (dev.hubprobe.probe.Measurement m : r.measurements()) {
            double top = largest.get(m.unit());
            double w = top <= 0 ? 1 : Math.max(1, WIDTH * Math.abs(m.value()) / top);
            h.append("<tr data-measurement=\"").append(esc(m.name())).append("\"><th scope=\"row\">").append(esc(m.name()))
                    .append("</th><td class=\"num\">").append(esc(m.display())).append("</td><td class=\"num\">")
                    .append(esc(Double.toString(m.value()) + (m.unit().isEmpty() ? "" : " " + m.unit()))).append("</td><td>")
                    .append(String.format(Locale.ROOT, "<svg class=\"bar\" width=\"%d\" height=\"12\" aria-hidden=\"true\">"
                            + "<rect x=\"0\" y=\"1\" width=\"%.1f\" height=\"10\" rx=\"2\"/></svg>", WIDTH, w))
                    .append("</td></tr>");
        }
        h.append("</tbody></table></div></section>");
    }

    private static void events(StringBuilder h, List<Transcript.Event> events) {
        if (events.isEmpty()) {
            return;
        }
        h.append("<section aria-labelledby=\"events-h\"><h2 id=\"events-h\">Progress events</h2><ol class=\"events\">");
        for (Transcript.Event e : events) {
            h.append("<li><span class=\"at\">").append(String.format(Locale.ROOT, "+%.2f s", e.atSeconds())).append("</span> ")
                    .append(esc(e.message())).append("</li>");
        }
        h.append("</ol></section>");
    }

    private static void cells(StringBuilder h, List<Transcript.Cell> cells) {
        if (cells.isEmpty()) {
            return;
        }
        h.append("<section aria-labelledby=\"cells-h\"><h2 id=\"cells-h\">Cells</h2>");
        for (int i = 0; i < cells.size(); i++) {
            Transcript.Cell c = cells.get(i);
            h.append("<article class=\"cell\"><h3>Cell ").append(i + 1).append(c.error() == null ? "" : " (raised)").append("</h3>")
                    .append("<pre class=\"code\"><code>").append(esc(c.code())).append("</code></pre>");
            if (c.output() != null && !c.output().isEmpty()) {
                h.append("<p class=\"label\">Output</p><pre class=\"output\">").append(esc(c.output())).append("</pre>");
            }
            if (c.error() != null) {
                h.append("<p class=\"label\">Error</p><pre class=\"error\">").append(esc(c.error())).append("</pre>");
            }
            h.append("</article>");
        }
        h.append("</section>");
    }

    private static void environment(StringBuilder h, RunResult r) {
        Environment env = r.environment();
        if (env == null) {
            return;
        }
        String list = Html.url("api/v1/hubs/") + seg(r.hub()) + "/environments/";
        h.append("<section aria-labelledby=\"env-h\"><h2 id=\"env-h\">Environment</h2><p><a href=\"").append(list).append(seg(env.fingerprint()))
                .append("\"><code>").append(esc(env.fingerprint())).append("</code></a> · image <code>").append(esc(env.image() == null ? "-" : env.image()))
                .append("</code> · Python ").append(esc(env.python())).append(" · ").append(env.packageCount()).append(" packages");
        if (env.changed() && env.diff() != null) {
            h.append("<p>Changed since the previous run: ").append(esc(env.diff().summary(EnvironmentDiff.SUMMARY_ENTRIES))).append("</p>");
        }
        Environment.SinceLastPass since = env.sinceLastPass();
        if (since != null) {
            h.append("<p class=\"env-change\" id=\"env-change\">").append(esc(since.line(EnvironmentDiff.SUMMARY_ENTRIES)))
                    .append(" (<a href=\"").append(list).append("diff?from=").append(seg(since.fingerprint())).append("&amp;to=")
                    .append(seg(env.fingerprint())).append("\">the whole difference</a>)</p>");
        }
        h.append("</section>");
    }
}
