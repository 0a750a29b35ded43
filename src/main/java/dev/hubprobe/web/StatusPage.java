package dev.hubprobe.web;

import static dev.hubprobe.web.Html.esc;
import static dev.hubprobe.web.Html.seg;

import dev.hubprobe.alerting.Alert;
import dev.hubprobe.alerting.AlertStore;
import dev.hubprobe.json.Json;
import dev.hubprobe.probe.ProbeKey;
import dev.hubprobe.probe.RunResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /}: every configured hub at a glance. The operator view names the failed phase, the
 * reason and the hub's own message, and links each run; the public view (for hub users) shows states,
 * uptime and charts only, nothing that names a user, a host or a run.
 */
final class StatusPage {
    private StatusPage() {
    }

    /** The whole page around its banner and live part (both rendered once per board, for every viewer). */
    static String render(String banner, String live, String version, String title, boolean operator, boolean publicMode) {
        StringBuilder h = new StringBuilder(live.length() + 4096);
        h.append("<header class=\"top\"><h1>").append(esc(title)).append("</h1>");
        // what a hub user came for, before anything else: is my hub working, and if not since when
        h.append("<div id=\"banner\" role=\"status\" data-version=\"").append(bannerVersion(banner)).append("\">").append(banner).append("</div>");
        h.append("<p class=\"sub\">Synthetic user checks: log in, start a server, run code. ");
        if (publicMode && !operator) {
            h.append("<a href=\"" + Html.url("login") + "\">Operator sign-in</a>");
        } else if (publicMode) {
            h.append("Operator view · <a href=\"" + Html.url("logout") + "\">sign out</a>");
        }
        h.append("</p>");
        h.append("<p class=\"sub\">Uptime is the share of passing runs over the last 24 hours, 7 days and 30 days "
                + "(runs stopped by a shutdown count for nothing). "
                + "Each hub's strip has one cell per day of the last 90: green without failures, amber with some, red when most "
                + "failed, grey without runs. Its chart shows the mean time of a whole run, the spawn, scale-up and image pull, "
                + "and the spawn's learned baseline (dashed).</p>");
        h.append("<p><label for=\"range\">Latency charts over </label><select id=\"range\">"
                + "<option value=\"24h\" selected>the last 24 hours</option><option value=\"7d\">the last 7 days</option>"
                + "<option value=\"30d\">the last 30 days</option></select></p></header>");
        h.append("<main id=\"live\" data-version=\"").append(version).append("\" aria-live=\"polite\">");
        h.append(live);
        h.append("</main>");
        h.append("<footer><p>Updated as runs land.").append(operator ? " <a href=\"" + Html.url("metrics") + "\">Metrics</a> · <a href=\"" + Html.url("api/v1/hubs") + "\">API</a>" : "")
                .append("</p></footer>");
        return Html.page(title, h.toString(), true);
    }

    /**
     * One sentence a hub user reads first: every hub working, or which hub is failing and since when,
     * in words; then how many hubs and when they were checked.
     */
    static String banner(Board b) {
        List<String> failing = new java.util.ArrayList<>();
        List<String> slow = new java.util.ArrayList<>();
        List<String> maintenance = new java.util.ArrayList<>();
        int unknown = 0;
        Map<String, java.time.Instant> since = new java.util.HashMap<>();
        for (Map.Entry<String, List<Board.Row>> e : b.hubs().entrySet()) {
            switch (Board.hubState(e.getValue())) {
                case FAILING -> {
                    failing.add(e.getKey());
                    java.time.Instant t = Board.failingSince(e.getValue());
                    if (t != null) {
                        since.put(e.getKey(), t);
                    }
                }
                case DEGRADED -> slow.add(e.getKey());
                case MAINTENANCE -> maintenance.add(e.getKey());
                case UNKNOWN -> unknown++;
                case PASSING -> { }
            }
        }
        // the longest-failing first: the one people have been waiting on longest
        failing.sort(java.util.Comparator.comparing((String h) -> since.getOrDefault(h, b.now())));
        String css;
        StringBuilder say = new StringBuilder();
        if (!failing.isEmpty()) {
            css = "failing";
            say.append(failing.size() == 1 ? "" : failing.size() + " hubs are failing: ");
            for (int i = 0; i < Math.min(failing.size(), 5); i++) {
                String hub = failing.get(i);
                say.append(i == 0 ? "" : "; ").append(esc(hub)).append(failing.size() == 1 ? (since.containsKey(hub) ? " has been failing" : " is failing") : "");
                java.time.Instant t = since.get(hub);
                if (t != null) {
                    say.append(" since ").append(Html.minute(t)).append(" (for ").append(words(Duration.between(t, b.now()))).append(")");
                }
            }
            say.append(failing.size() > 5 ? "; and " + (failing.size() - 5) + " more." : ".");
        } else if (b.hubs().isEmpty() || unknown == b.hubs().size()) {
            css = "unknown";
            say.append(b.hubs().isEmpty() ? "No hubs are shown here." : "No hub has been checked yet.");
        } else {
            // a hub in maintenance (a window in the configuration or a silence) and a hub with an alert still open (a
            // failure not yet resolved, a certificate about to expire) are not "working": the banner names them first,
            // with what the alerts and maintenance lists below say, so it never contradicts them
            Map<String, java.time.Instant> until = new java.util.LinkedHashMap<>();
            for (Board.Maintenance m : b.maintenance()) {
                if (b.hubs().containsKey(m.hub()) && !failing.contains(m.hub())) {
                    until.merge(m.hub(), m.until() == null ? java.time.Instant.MAX : m.until(),
                            (x, y) -> x.isAfter(y) ? x : y);
                }
            }
            maintenance.forEach(h -> until.putIfAbsent(h, java.time.Instant.MAX));
            Map<String, String> alerted = new java.util.LinkedHashMap<>();
            for (Alert a : b.alerts()) {
                if (a.kind() != Alert.Kind.REGRESSION && b.hubs().containsKey(a.hub()) && !until.containsKey(a.hub())) {
                    alerted.putIfAbsent(a.hub(), a.kind() == Alert.Kind.TLS ? "a certificate expires soon"
                            : "its failure alert is still open");
                }
            }
            int working = b.hubs().size() - until.size() - alerted.size();
            css = slow.isEmpty() && until.isEmpty() && alerted.isEmpty() ? "passing" : "degraded";
            if (until.isEmpty() && alerted.isEmpty()) {
                say.append(b.hubs().size() == 1 ? "The hub is working." : "All hubs are working.");
            } else {
                List<String> parts = new java.util.ArrayList<>();
                until.forEach((h, t) -> parts.add(esc(h) + " is in maintenance" + (t.equals(java.time.Instant.MAX) ? ""
                        : " until " + Html.minute(t))));
                alerted.forEach((h, why) -> parts.add(esc(h) + " has an open alert (" + why + ")"));
                say.append(String.join("; ", parts)).append(".");
                if (working > 0) {
                    say.append(working == 1 && b.hubs().size() == 2 ? " The other hub is working." : " The other hubs are working.");
                }
            }
            if (!slow.isEmpty()) {
                say.append(" Slower than usual: ").append(esc(list(slow))).append(".");
            }
        }
        return "<p class=\"banner " + css + "\" data-state=\"" + css + "\"><strong>" + say + "</strong></p>";
    }

    /**
     * The banner when the history cannot be read (and the last board is too old to pass for current): the
     * status is unknown, never the last board's "All hubs are working".
     */
    static String unknown(java.time.Instant since) {
        return "<p class=\"banner unknown\" data-state=\"unknown\"><strong>Status unknown: the history could not be read since "
                + Html.minute(since) + ".</strong></p>";
    }

    /** Changes only when the banner's words do: the page's script swaps it (and a screen reader says it) only then. */
    static String bannerVersion(String banner) {
        return Integer.toHexString(banner.hashCode());
    }

    private static String list(List<String> hubs) {
        return String.join(", ", hubs.subList(0, Math.min(5, hubs.size()))) + (hubs.size() > 5 ? " and " + (hubs.size() - 5) + " more" : "");
    }

    /** How long, in words: "5 minutes", "2 hours", "3 days". */
    static String words(Duration d) {
        long m = Math.max(1, d.toMinutes());
        if (m < 60) {
            return m == 1 ? "1 minute" : m + " minutes";
        }
        long h = d.toHours();
        if (h < 48) {
            return h == 1 ? "1 hour" : h + " hours";
        }
        return d.toDays() + " days";
    }

    /** The part of the page that changes as runs land, swapped in place by the page's script. */
    static String live(Board b, boolean operator) {
        StringBuilder h = new StringBuilder();
        h.append("<p class=\"sub\" id=\"summary\">").append(b.hubs().size()).append(b.hubs().size() == 1 ? " hub" : " hubs")
                .append(" · checked at <time datetime=\"")
                // when the history was read, not "0 s ago": the page is rendered once per board and served for a while
                .append(b.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)).append("\">").append(Html.second(b.now()))
                .append("</time></p>");
        for (Map.Entry<String, List<Board.Row>> e : b.hubs().entrySet()) {
            hub(h, b, e.getKey(), e.getValue(), operator);
        }
        alerts(h, b, operator);
        maintenance(h, b);
        incidents(h, b);
        return h.toString();
    }

    /** One hub: kept lean, since a page may list a thousand of them (legends are said once, at the top). */
    private static void hub(StringBuilder h, Board b, String hub, List<Board.Row> rows, boolean operator) {
        Board.State s = Board.hubState(rows);
        String name = esc(hub);
        h.append("<section class=\"hub\" data-hub=\"").append(name).append("\" data-state=\"")
                .append(s.css()).append("\"><h2>");
        h.append(operator ? "<a href=\"" + Html.url("hubs/") + seg(hub) + "\">" + name + "</a>" : name);
        h.append(" ").append(badge(s)).append("</h2>");
        h.append("<table><thead><tr><th>Probe</th><th>State</th><th>Last run</th><th>Last success</th>"
                + "<th>24 h</th><th>7 d</th><th>30 d</th>").append(operator ? "<th>Detail</th>" : "").append("</tr></thead><tbody>");
        // a probe run on several KubeSpawner profiles: its rows side by side (where its first one is), each naming
        // its profile, so "GPU servers fail, CPU servers work" is one look; otherwise the configuration's order
        Map<String, Integer> first = new java.util.HashMap<>();
        rows.forEach(r -> first.putIfAbsent(ProbeKey.probeOf(r.key().probe()), first.size()));
        List<Board.Row> ordered = new java.util.ArrayList<>(rows);
        ordered.sort(java.util.Comparator.comparing(r -> first.get(ProbeKey.probeOf(r.key().probe()))));
        for (Board.Row r : ordered) {
            RunResult last = r.last();
            String profile = r.key().profile();
            h.append("<tr data-state=\"").append(r.state().css()).append("\"");
            if (!profile.isEmpty()) {
                h.append(" data-profile=\"").append(esc(profile)).append("\"");
            }
            h.append("><th scope=\"row\">").append(esc(ProbeKey.probeOf(r.key().probe())));
            if (!profile.isEmpty()) {
                h.append(" <span class=\"profile\">profile ").append(esc(profile)).append("</span>");
            }
            h.append("</th><td>").append(badge(r.state())).append("</td><td>");
            if (last == null) {
                h.append("never");
            } else if (operator) {
                h.append("<a href=\"").append(Html.url("runs/")).append(seg(last.runId())).append("\">").append(Html.time(last.startedAt(), b.now())).append("</a>");
            } else {
                h.append(Html.time(last.startedAt(), b.now()));
            }
            h.append("</td><td>").append(Html.time(r.lastSuccess(), b.now())).append("</td>");
            for (int i = 0; i < 3; i++) {
                h.append("<td class=\"num\">").append(Html.percent(r.uptime().ratio(i))).append("</td>");
            }
            if (operator) {
                h.append("<td class=\"detail\">");
                if (last != null && !last.passed()) {
                    h.append("<span class=\"phase\">").append(esc(last.failedPhaseLabel())).append("</span> · <code class=\"reason\">")
                            .append(esc(last.reason().label())).append("</code> · <span class=\"message\">")
                            .append(esc(Json.abbreviate(last.message(), 300))).append("</span>");
                    if (last.environment() != null && last.environment().sinceLastPass() != null) {
                        h.append("<br><span class=\"env-change\">")
                                .append(esc(last.environment().sinceLastPass().line(3))).append("</span>");
                    }
                }
                h.append("</td>");
            }
            h.append("</tr>");
        }
        h.append("</tbody></table>");
        h.append("<img class=\"days\" src=\"").append(Html.url("status/days/")).append(seg(hub)).append(".svg\" width=\"450\" height=\"28\" loading=\"lazy\" alt=\"")
                .append(name).append(": the last 90 days\">");
        h.append("<div class=\"chart\" data-hub=\"").append(name).append("\" role=\"img\" aria-label=\"Latency of ").append(name)
                .append("\"></div></section>");
    }

    private static void alerts(StringBuilder h, Board b, boolean operator) {
        h.append("<section id=\"alerts\" aria-labelledby=\"alerts-h\"><h2 id=\"alerts-h\">Open alerts</h2>");
        if (b.alerts().isEmpty()) {
            h.append("<p>None.</p></section>");
            return;
        }
        h.append("<div class=\"scroll\"><table><thead><tr><th scope=\"col\">Since</th><th scope=\"col\">Hub</th><th scope=\"col\">Probe</th>"
                + "<th scope=\"col\">What</th></tr></thead><tbody>");
        for (Alert a : b.alerts()) {
            h.append("<tr><td>").append(Html.time(a.startsAt(), b.now())).append("</td><td>").append(esc(a.hub())).append("</td><td>")
                    .append(Html.probe(a.probe())).append("</td><td>").append(esc(what(a.kind(), a.kind() == Alert.Kind.FAILURE
                            ? a.annotations().get("phase") : a.phase(), a.annotations().get("reason"))));
            if (operator && a.annotations().containsKey("summary")) {
                h.append(": ").append(esc(a.annotations().get("summary")));
            }
            h.append("</td></tr>");
        }
        h.append("</tbody></table></div></section>");
    }

    private static void maintenance(StringBuilder h, Board b) {
        if (b.maintenance().isEmpty()) {
            return;
        }
        h.append("<section id=\"maintenance\" aria-labelledby=\"maint-h\"><h2 id=\"maint-h\">Maintenance</h2><ul>");
        for (Board.Maintenance m : b.maintenance()) {
            h.append("<li>").append(esc(m.hub())).append(": ").append(esc(m.what()));
            if (m.until() != null) {
                h.append(", until ").append(Html.minute(m.until()));
            }
            h.append("</li>");
        }
        h.append("</ul></section>");
    }

    private static void incidents(StringBuilder h, Board b) {
        h.append("<section id=\"incidents\" aria-labelledby=\"inc-h\"><h2 id=\"inc-h\">Incidents, last 30 days</h2>");
        if (b.incidents().isEmpty()) {
            h.append("<p>None.</p></section>");
            return;
        }
        h.append("<div class=\"scroll\"><table><thead><tr><th scope=\"col\">Started</th><th scope=\"col\">Ended</th>"
                + "<th scope=\"col\">Duration</th><th scope=\"col\">Hub</th><th scope=\"col\">Probe</th><th scope=\"col\">What</th>"
                + "</tr></thead><tbody>");
        for (AlertStore.Incident i : b.incidents()) {
            h.append("<tr><td>").append(Html.minute(i.startsAt())).append("</td><td>")
                    .append(i.endsAt() == null ? "<strong>ongoing</strong>" : Html.minute(i.endsAt())).append("</td><td>")
                    .append(Html.duration(Duration.between(i.startsAt(), i.endsAt() == null ? b.now() : i.endsAt()))).append("</td><td>")
                    .append(esc(i.hub())).append("</td><td>").append(Html.probe(i.probe())).append("</td><td>")
                    .append(esc(what(i.kind(), i.phase(), i.reason()))).append("</td></tr>");
        }
        h.append("</tbody></table></div></section>");
    }

    private static String what(Alert.Kind kind, String phase, String reason) {
        return switch (kind) {
            case FAILURE -> "failing" + (phase == null ? "" : " in " + phase) + (reason == null ? "" : " (" + reason + ")");
            case REGRESSION -> "slower than usual" + (phase == null ? "" : " in " + phase);
            case TLS -> "certificate expiring" + (phase == null ? "" : " (" + phase + ")");
        };
    }

    /** The state in words; its mark (✓ ✗ ! ? ⏸) comes from the stylesheet, hidden from screen readers. */
    static String badge(Board.State s) {
        return "<span class=\"state " + s.css() + "\">" + s.words + "</span>";
    }
}
