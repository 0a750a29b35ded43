package dev.hubprobe.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.history.PageQueries;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.Reason;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.probe.Transcript;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What the pages put in markup: everything a hub or a cell said is escaped; the images say what they show. */
class PagesTest {
    private static final String EVIL = "<script>alert('x')</script>&\"";

    private static RunResult run() {
        Instant t = Instant.parse("2026-11-22T10:00:00Z");
        return new RunResult("00000000-0000-0000-0000-000000000001", "staging", "kernel-smoke", "bot", t, Duration.ofSeconds(3),
                List.of(new PhaseResult(Phase.HUB_API, PhaseResult.Status.PASSED, Duration.ofMillis(10), null, null),
                        new PhaseResult(Phase.SPAWN, PhaseResult.Status.FAILED, Duration.ofSeconds(2), Reason.SPAWN_FAILED, EVIL),
                        PhaseResult.skipped(Phase.EXECUTE)),
                List.of(), null, Phase.SPAWN, Reason.SPAWN_FAILED, EVIL, Map.of("kernel", EVIL), List.of(EVIL), null,
                new Transcript(List.of(new Transcript.Event(0.5, EVIL)), List.of(new Transcript.Cell(EVIL, EVIL, EVIL))));
    }

    @Test
    void aRunPageEscapesEverythingTheHubAndTheKernelSaid() {
        String html = RunPage.render(run(), new PageQueries.Neighbours(Optional.of("prev-id"), Optional.empty()), Instant.now());
        assertFalse(html.contains("<script>alert"), "no markup from the hub gets through");
        assertTrue(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"));
        assertTrue(html.contains("data-phase=\"spawn\""));
        assertTrue(html.contains("rel=\"prev\" href=\"/runs/prev-id\""));
        assertTrue(html.contains("latest run"), "no next run yet");
    }

    /** A failing UI run that kept a screenshot shows it (from the guarded /runs/ID/screenshot.png); others show none. */
    @Test
    void aFailingUiRunsPageShowsItsScreenshot() {
        RunResult r = run();
        RunResult ui = new RunResult(r.runId(), r.hub(), r.probe(), r.user(), r.startedAt(), r.duration(),
                List.of(new PhaseResult(Phase.UI_LOAD, PhaseResult.Status.FAILED, Duration.ofSeconds(2), Reason.UI_FAILED, "plugin")),
                List.of(), null, Phase.UI_LOAD, Reason.UI_FAILED, "plugin", Map.of(dev.hubprobe.probe.ProbeRunner.SCREENSHOT_FACT, "1234 bytes"),
                List.of());
        String html = RunPage.render(ui, new PageQueries.Neighbours(Optional.empty(), Optional.empty()), Instant.now());
        assertTrue(html.contains("<img id=\"screenshot\"") && html.contains("src=\"/runs/" + r.runId() + "/screenshot.png\""), html);
        assertTrue(html.contains("when ui_load failed"), html);
        assertTrue(!RunPage.render(r, new PageQueries.Neighbours(Optional.empty(), Optional.empty()), Instant.now()).contains("screenshot"));
    }

    @Test
    void runAndHubPagesNameAFailedAppByItsPhaseAndEscapeItsBody() {
        Instant t = Instant.parse("2026-11-22T10:00:00Z");
        String message = "GET /user/bot/rstudio/ answered 502 (expected 200): '" + EVIL + "'";
        RunResult r = new RunResult("00000000-0000-0000-0000-000000000002", "staging", "apps", "bot", t, Duration.ofSeconds(3),
                List.of(new PhaseResult(Phase.EXECUTE, PhaseResult.Status.PASSED, Duration.ofMillis(10), null, null),
                        new PhaseResult(Phase.APP, PhaseResult.Status.PASSED, Duration.ofMillis(250), null, null, "hello"),
                        new PhaseResult(Phase.APP, PhaseResult.Status.FAILED, Duration.ofSeconds(1), Reason.APP_FAILED, message, "rstudio"),
                        new PhaseResult(Phase.APP, PhaseResult.Status.SKIPPED, Duration.ZERO, null, null, "vs_code")),
                List.of(), null, Phase.APP, Reason.APP_FAILED, message, Map.of(), List.of());
        String html = RunPage.render(r, new PageQueries.Neighbours(Optional.empty(), Optional.empty()), Instant.now());
        assertTrue(html.contains("Failed in <strong class=\"phase\">app_rstudio</strong>"), html);
        for (String phase : List.of("app_hello", "app_rstudio", "app_vs_code")) {
            assertTrue(html.contains("data-phase=\"" + phase + "\""), phase + ": " + html);
        }
        assertFalse(html.contains(EVIL), "the app's body is escaped");
        String hub = HubPage.render("staging", List.of(r), 0, null, false, Instant.now());
        assertTrue(hub.contains(">app_rstudio<"), hub);
    }

    @Test
    void aRunPageSaysWhichHubAndServerTheRunWentAgainst() {
        RunResult r = run();
        RunResult withVersions = new RunResult(r.runId(), r.hub(), r.probe(), r.user(), r.startedAt(), r.duration(), r.phases(),
                r.spawnPhases(), null, r.failedPhase(), r.reason(), r.message(),
                Map.of("hub_version", "5.2.1", "server_version", "1.24.0"), List.of());
        String html = RunPage.render(withVersions, new PageQueries.Neighbours(Optional.empty(), Optional.empty()), Instant.now());
        assertTrue(html.contains("<p class=\"versions\">JupyterHub <code>5.2.1</code> · single-user server <code>1.24.0</code></p>"), html);
        String without = RunPage.render(r, new PageQueries.Neighbours(Optional.empty(), Optional.empty()), Instant.now());
        assertFalse(without.contains("class=\"versions\""), "a run that never reached the hub names no version");
    }

    @Test
    void theDayStripColoursEachDayAndNamesItForTheCurious() {
        LocalDate today = LocalDate.parse("2026-11-22");
        String svg = Svg.days("staging", List.of(new PageQueries.Day(today, 10, 0), new PageQueries.Day(today.minusDays(1), 10, 2),
                new PageQueries.Day(today.minusDays(2), 10, 9)), today);
        assertEquals(90, svg.split("<rect ").length - 1);
        assertTrue(svg.contains("2026-11-22: 10 runs, none failed"));
        assertTrue(svg.contains("fill=\"#e37400\"><title>2026-11-21: 10 runs, 2 failed"));
        assertTrue(svg.contains("fill=\"#c5221f\"><title>2026-11-20: 10 runs, 9 failed"));
        assertTrue(svg.contains("2026-08-25: no runs"), "the oldest of the 90 days");
    }

    @Test
    void aBadgeSaysTheStateAndTheUptimeInWords() {
        String svg = Svg.badge("staging", Board.State.FAILING, 0.9876);
        assertTrue(svg.contains("aria-label=\"staging: failing 98.76%\""), svg);
        assertTrue(Svg.badge("a<b", Board.State.UNKNOWN, null).contains("a&lt;b"));
    }

    @Test
    void theBundledChartLibraryIsTheOneThePagesLinkTo() {
        assertTrue(getClass().getResource("/META-INF/resources/webjars/uplot/" + WebController.UPLOT_VERSION + "/dist/uPlot.iife.min.js") != null,
                "the pom's uPlot version and WebController.UPLOT_VERSION agree");
        assertTrue(getClass().getResource("/web/status.js") != null && getClass().getResource("/web/status.css") != null);
    }

    @Test
    void uptimesArePrintedAlikeAndNeverRoundUpToAHundred() {
        assertEquals("100.00%", Html.percent(1.0));
        assertEquals("0.00%", Html.percent(0.0));
        assertEquals("99.99%", Html.percent(99_999 / 100_000.0), "one failure in 100,000 is not 100%");
        assertEquals("98.76%", Html.percent(0.9876));
        assertEquals("66.66%", Html.percent(2 / 3.0));
    }

    private static Board.Row row(String hub, Board.State state, Instant failingSince) {
        return new Board.Row(new dev.hubprobe.probe.ProbeKey(hub, "kernel-smoke"), state, null, null,
                new PageQueries.Uptime(new int[3], new int[3]), failingSince);
    }

    private static Board board(Instant now, Board.Row... rows) {
        Map<String, List<Board.Row>> hubs = new java.util.LinkedHashMap<>();
        for (Board.Row r : rows) {
            hubs.computeIfAbsent(r.key().hub(), h -> new java.util.ArrayList<>()).add(r);
        }
        return new Board(now, hubs, List.of(), List.of(), List.of());
    }

    @Test
    void theBannerSaysInWordsWhetherEveryHubWorksOrWhichFailsAndSinceWhen() {
        Instant now = Instant.parse("2026-11-22T10:00:00Z");
        assertEquals("<p class=\"banner passing\" data-state=\"passing\"><strong>All hubs are working.</strong></p>",
                StatusPage.banner(board(now, row("a", Board.State.PASSING, null), row("b", Board.State.PASSING, null))));
        assertTrue(StatusPage.banner(board(now, row("a", Board.State.PASSING, null), row("b", Board.State.FAILING, now.minusSeconds(7200))))
                .contains("<strong>b has been failing since 2026-11-22 08:00 UTC (for 2 hours).</strong>"));
        String two = StatusPage.banner(board(now, row("a", Board.State.PASSING, null), row("b", Board.State.FAILING, now.minusSeconds(600)),
                row("c", Board.State.FAILING, now.minus(Duration.ofDays(3)))));
        assertTrue(two.contains("<strong>2 hubs are failing: c since 2026-11-19 10:00 UTC (for 3 days); b since 2026-11-22 09:50 UTC"
                + " (for 10 minutes).</strong>"), "the one failing longest first: " + two);
        assertTrue(two.contains("banner failing"));
        assertTrue(StatusPage.banner(board(now, row("a", Board.State.PASSING, null), row("b", Board.State.DEGRADED, null)))
                .contains("All hubs are working. Slower than usual: b."));
        assertTrue(StatusPage.banner(board(now, row("a", Board.State.UNKNOWN, null))).contains("No hub has been checked yet."));
        assertTrue(StatusPage.banner(board(now, row("a<b", Board.State.FAILING, null))).contains("a&lt;b is failing."), "escaped");
    }

    @Test
    void theBannerNeverSaysAllHubsWorkWhileOneIsInMaintenanceOrHasAnOpenAlert() {
        Instant now = Instant.parse("2026-11-22T10:00:00Z");
        Map<String, List<Board.Row>> hubs = new java.util.LinkedHashMap<>();
        hubs.put("a", List.of(row("a", Board.State.PASSING, null)));
        hubs.put("b", List.of(row("b", Board.State.MAINTENANCE, null)));
        hubs.put("c", List.of(row("c", Board.State.PASSING, null)));
        hubs.put("d", List.of(row("d", Board.State.PASSING, null)));
        // b in its maintenance window until 12:00; c's failure alert still open (it passed once, resolve_after not reached);
        // d's certificate expires soon
        List<dev.hubprobe.alerting.Alert> open = List.of(
                new dev.hubprobe.alerting.Alert("failure/c/kernel-smoke", dev.hubprobe.alerting.Alert.Kind.FAILURE, "c", "kernel-smoke",
                        "spawn", true, 0, 1, now.minusSeconds(3600), null, null, Map.of()),
                new dev.hubprobe.alerting.Alert("tls/d/hub", dev.hubprobe.alerting.Alert.Kind.TLS, "d", "kernel-smoke",
                        "hub", true, 0, 0, now.minusSeconds(60), null, null, Map.of()));
        String banner = StatusPage.banner(new Board(now, hubs, open,
                List.of(new Board.Maintenance("b", "maintenance window in the configuration", Instant.parse("2026-11-22T12:00:00Z"))),
                List.of()));
        assertFalse(banner.contains("All hubs are working"), banner);
        assertTrue(banner.contains("<strong>b is in maintenance until 2026-11-22 12:00 UTC; c has an open alert (its failure alert is still"
                + " open); d has an open alert (a certificate expires soon). The other hubs are working.</strong>"), banner);
        assertTrue(banner.contains("banner degraded"), banner);
        // the only hub, silenced through the API without an end in the list: in maintenance, nothing said to work
        Map<String, List<Board.Row>> one = Map.of("b", List.of(row("b", Board.State.MAINTENANCE, null)));
        String alone = StatusPage.banner(new Board(now, one, List.of(), List.of(), List.of()));
        assertEquals("<p class=\"banner degraded\" data-state=\"degraded\"><strong>b is in maintenance.</strong></p>", alone);
    }

    @Test
    void theBoardSaysWhenTheHistoryWasReadNotZeroSecondsAgoAndAnUnreadableHistoryIsUnknown() {
        Instant now = Instant.parse("2026-11-22T10:15:42Z");
        String live = StatusPage.live(board(now, row("a", Board.State.PASSING, null)), false);
        assertTrue(live.contains("checked at <time datetime=\"2026-11-22T10:15:42Z\">2026-11-22 10:15:42 UTC</time>"), live);
        assertTrue(!live.contains("0 s ago"), live);
        String unknown = StatusPage.unknown(now);
        assertTrue(unknown.contains("Status unknown: the history could not be read since 2026-11-22 10:15 UTC"), unknown);
        assertTrue(!unknown.contains("working"), unknown);
    }

    @Test
    void uptimeNeverPrintsBelowNoneOrAboveAllWhenDayRowsMissedRuns() {
        assertEquals("100.00%", Html.percent(1.04));
        assertEquals("0.00%", Html.percent(-0.03));
        dev.hubprobe.history.PageQueries.Uptime u = new dev.hubprobe.history.PageQueries.Uptime(new int[] {3, 2, 5}, new int[] {4, -1, 5});
        assertEquals(Double.valueOf(1.0), u.ratio(0), "more passes counted than runs");
        assertEquals(Double.valueOf(0.0), u.ratio(1), "fewer than none");
        assertEquals(Double.valueOf(1.0), u.ratio(2));
    }

    @Test
    void gzipIsSentOnlyWhenTheClientTakesItWithAQAboveZero() {
        assertTrue(WebController.takesGzip("gzip, deflate, br"));
        assertTrue(WebController.takesGzip("gzip;q=0.5, identity"), "q=0.5 takes it");
        assertTrue(WebController.takesGzip("br, *;q=0.1"));
        assertTrue(!WebController.takesGzip("gzip;q=0"));
        assertTrue(!WebController.takesGzip("gzip; q=0.000, *"));
        assertTrue(!WebController.takesGzip("identity"));
        assertTrue(!WebController.takesGzip(null));
    }

    private static RunResult measured(Instant at, double seconds) {
        RunResult r = run();
        return new RunResult(java.util.UUID.randomUUID().toString(), r.hub(), "home-storage", r.user(), at, r.duration(), r.phases(),
                r.spawnPhases(), null, null, null, null, Map.of(), List.of(), null, null,
                List.of(new dev.hubprobe.probe.Measurement("write_seconds", seconds, "seconds"),
                        new dev.hubprobe.probe.Measurement("home_free_bytes", 3.0 * (1L << 30), "bytes")));
    }

    @Test
    void theRunPageListsAndChartsItsMeasurements() {
        String html = RunPage.render(measured(Instant.parse("2026-11-22T10:00:00Z"), 0.5),
                new PageQueries.Neighbours(Optional.empty(), Optional.empty()), Instant.now());
        assertTrue(html.contains("<h2 id=\"measurements-h\">Measurements</h2>"), html);
        assertTrue(html.contains("data-measurement=\"write_seconds\"><th scope=\"row\">write_seconds</th><td class=\"num\">0.5 s</td>"), html);
        assertTrue(html.contains("<td class=\"num\">3 GiB</td>"), html);
        assertFalse(RunPage.render(run(), new PageQueries.Neighbours(Optional.empty(), Optional.empty()), Instant.now())
                .contains("measurements-h"), "no section for a run that measured nothing");
    }

    @Test
    void theHubPageChartsEachMeasurementOverItsRunsOldestFirst() {
        Instant t = Instant.parse("2026-11-22T10:00:00Z");
        List<RunResult> newestFirst = List.of(measured(t.plusSeconds(120), 0.9), measured(t.plusSeconds(60), 0.2), measured(t, 0.4));
        String html = HubPage.render("staging", newestFirst, 1, null, false, Instant.now());
        assertTrue(html.contains("<th scope=\"row\">write_seconds</th><td class=\"num\">0.9 s</td>"), "latest value: " + html);
        int a = html.indexOf("2026-11-22 10:00:00 UTC: 0.4 s");
        int b = html.indexOf("2026-11-22 10:01:00 UTC: 0.2 s");
        int c = html.indexOf("2026-11-22 10:02:00 UTC: 0.9 s");
        assertTrue(a > 0 && a < b && b < c, "points oldest to newest: " + html);
        assertTrue(html.contains("<polyline"), html);
    }

    /** A run on a KubeSpawner profile is named by its probe and its profile, never by the series' key "probe@profile". */
    @Test
    void theRunAndHubPagesNameAProfiledRunsProbeAndProfileApart() {
        RunResult m = measured(Instant.parse("2026-11-22T10:00:00Z"), 0.5);
        RunResult r = new RunResult(m.runId(), m.hub(), "home-storage@gpu-small", m.user(), m.startedAt(), m.duration(), m.phases(),
                m.spawnPhases(), null, null, null, null, Map.of(), List.of(), null, null, m.measurements());
        String run = RunPage.render(r, new PageQueries.Neighbours(Optional.empty(), Optional.empty()), Instant.now());
        assertTrue(run.contains("<h1>Run of home-storage (profile gpu-small) on staging</h1>"), run);
        assertFalse(run.contains("home-storage@gpu-small"), run);
        String hub = HubPage.render("staging", List.of(r), 1, null, false, Instant.now());
        assertTrue(hub.contains("<td>home-storage <span class=\"profile\">profile gpu-small</span></td>"), hub);
        assertFalse(hub.contains("home-storage@gpu-small"), hub);
    }
}
