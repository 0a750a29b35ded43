package dev.hubprobe.load;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hubprobe.json.Json;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.RunResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The runs of a load test as they finish, and what they add up to: percentiles per phase (the spawn
 * breakdown included where measured), failures by reason, throughput. Runs cut short by a stop
 * (reason {@code aborted}) are kept for the run list but counted apart: the hub did not fail them.
 */
public final class LoadResults {
    /** One finished run of one simulated user. */
    public record Run(String user, RunResult result) {
        public boolean aborted() {
            return !result.passed() && result.reason() == dev.hubprobe.probe.Reason.ABORTED;
        }
    }

    /** Percentiles of one phase, in seconds. */
    public record Stats(int count, double p50, double p90, double p99, double max) {
        static Stats of(List<Double> seconds) {
            List<Double> s = new ArrayList<>(seconds);
            Collections.sort(s);
            return new Stats(s.size(), rank(s, 0.50), rank(s, 0.90), rank(s, 0.99), s.isEmpty() ? 0 : s.get(s.size() - 1));
        }

        /** Nearest rank: a value some run actually took. */
        private static double rank(List<Double> sorted, double q) {
            return sorted.isEmpty() ? 0 : sorted.get(Math.max(0, (int) Math.ceil(q * sorted.size()) - 1));
        }
    }

    private final List<Run> runs = Collections.synchronizedList(new ArrayList<>());
    private final int users;
    private volatile Instant started;
    private volatile Instant ended;

    public LoadResults(int users) {
        this.users = users;
    }

    void started(Instant at) {
        started = at;
    }

    void ended(Instant at) {
        ended = at;
    }

    void add(String user, RunResult r) {
        runs.add(new Run(user, r));
    }

    /** The runs so far, in the order they finished. */
    public List<Run> runs() {
        synchronized (runs) {
            return List.copyOf(runs);
        }
    }

    public Instant startedAt() {
        return started;
    }

    public Duration elapsed() {
        Instant s = started;
        Instant e = ended != null ? ended : Instant.now();
        return s == null ? Duration.ZERO : Duration.between(s, e);
    }

    /** Runs the hub answered (not cut short by a stop). */
    public List<Run> counted() {
        return runs().stream().filter(r -> !r.aborted()).toList();
    }

    public int failed() {
        return (int) counted().stream().filter(r -> !r.result().passed()).count();
    }

    /** Failed runs over counted runs; 1 when no run finished (nothing showed the hub works). */
    public double errorRate() {
        int n = counted().size();
        return n == 0 ? 1.0 : (double) failed() / n;
    }

    /** Per phase (in the order phases happen), the durations of the runs where it passed. */
    public Map<Phase, Stats> phases() {
        Map<Phase, List<Double>> by = new TreeMap<>();
        for (Run r : counted()) {
            List<PhaseResult> all = new ArrayList<>(r.result().phases());
            all.addAll(r.result().spawnPhases());
            for (PhaseResult p : all) {
                if (p.status() == PhaseResult.Status.PASSED) {
                    by.computeIfAbsent(p.phase(), k -> new ArrayList<>()).add(p.duration().toNanos() / 1e9);
                }
            }
        }
        Map<Phase, Stats> out = new TreeMap<>();
        by.forEach((k, v) -> out.put(k, Stats.of(v)));
        return out;
    }

    /** Whole runs, start to end of cleanup. */
    public Stats runDurations() {
        return Stats.of(counted().stream().map(r -> r.result().duration().toNanos() / 1e9).toList());
    }

    /** Failed runs by reason label. */
    public Map<String, Integer> failures() {
        Map<String, Integer> out = new TreeMap<>();
        counted().stream().filter(r -> !r.result().passed()).forEach(r -> out.merge(r.result().reason().label(), 1, Integer::sum));
        return out;
    }

    /** Failed runs alike in reason, phase and message, and how many there were. */
    public record Error(String reason, String phase, String message, int count) {
    }

    /** Distinct errors kept: a hub failing in many ways still gives a report a person can read. */
    public static final int MAX_ERRORS = 10;

    /**
     * The failed runs grouped by reason, phase and message, the commonest first (ties in the order of
     * reason, phase, message; at most {@link #MAX_ERRORS}): a count by reason says what broke, the
     * message says why. A message is the hub's own text, redacted of the run's known secrets when the
     * run ended; here the run's user name is made {@code {user}} (so 200 users failing alike are one
     * kind), whitespace folded, control characters replaced (a hostile hub's terminal escapes never
     * reach a CI log), and it is cut to 300 characters as on the report's run list.
     */
    public List<Error> errors() {
        Map<List<String>, Integer> by = new java.util.HashMap<>();
        for (Run r : counted()) {
            RunResult res = r.result();
            if (!res.passed()) {
                String message = res.message() == null ? "" : res.message();
                if (r.user() != null && !r.user().isEmpty()) {
                    message = message.replace(r.user(), "{user}");
                }
                message = Json.printable(Json.abbreviate(message, 300));
                by.merge(List.of(res.reason().label(), String.valueOf(res.failedPhaseLabel()), message), 1, Integer::sum);
            }
        }
        java.util.Comparator<Map.Entry<List<String>, Integer>> order = Map.Entry.<List<String>, Integer>comparingByValue().reversed();
        return by.entrySet().stream()
                .sorted(order.thenComparing(e -> String.join("\n", e.getKey())))
                .limit(MAX_ERRORS)
                .map(e -> new Error(e.getKey().get(0), e.getKey().get(1), e.getKey().get(2), e.getValue()))
                .toList();
    }

    /** Failed runs of the kinds past {@link #MAX_ERRORS}: with the listed kinds' counts they add up to {@link #failed()}. */
    private int omitted(List<Error> listed) {
        return failed() - listed.stream().mapToInt(Error::count).sum();
    }

    /** Counted runs whose UI phases were skipped for want of a browser (--browsers all in use). */
    public int uiSkipped() {
        return (int) counted().stream().filter(r -> r.result().facts().containsKey(dev.hubprobe.probe.ProbeRunner.UI_SKIPPED_FACT)).count();
    }

    /** The JSON: users, runs, failed, duration, throughput, phases, failures (and a little more). */
    public ObjectNode toJson() {
        List<Run> counted = counted();
        double seconds = elapsed().toMillis() / 1000.0;
        ObjectNode out = Json.object().put("users", users).put("runs", counted.size()).put("failed", failed())
                .put("aborted", runs().size() - counted.size()).put("error_rate", round(errorRate()))
                .put("duration_seconds", round(seconds))
                .put("throughput_per_minute", round(seconds <= 0 ? 0 : counted.size() * 60.0 / seconds));
        if (started != null) {
            out.put("started_at", started.toString());
        }
        ObjectNode phases = out.putObject("phases");
        phases().forEach((p, s) -> stats(phases.putObject(p.label()), s));
        stats(out.putObject("run_duration"), runDurations());
        ObjectNode failures = out.putObject("failures");
        failures().forEach(failures::put);
        List<Error> listed = errors();
        com.fasterxml.jackson.databind.node.ArrayNode errors = out.putArray("errors");
        listed.forEach(e -> errors.addObject().put("reason", e.reason()).put("phase", e.phase()).put("message", e.message())
                .put("count", e.count()));
        out.put("errors_omitted", omitted(listed));
        if (uiSkipped() > 0) {
            out.put("ui_skipped", uiSkipped());
        }
        return out;
    }

    private static void stats(ObjectNode o, Stats s) {
        o.put("count", s.count()).put("p50", round(s.p50())).put("p90", round(s.p90())).put("p99", round(s.p99())).put("max", round(s.max()));
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /** A table for people: the totals, then one line per phase. */
    public String toText() {
        StringBuilder b = new StringBuilder();
        List<Run> counted = counted();
        b.append(String.format(Locale.ROOT, "%d users, %d runs (%d failed, %.1f%%), %.0f s, %.1f runs/min%n", users, counted.size(),
                failed(), 100.0 * (counted.isEmpty() ? 0 : errorRate()), elapsed().toMillis() / 1000.0,
                elapsed().isZero() ? 0 : counted.size() * 60000.0 / elapsed().toMillis()));
        int aborted = runs().size() - counted.size();
        if (aborted > 0) {
            b.append(String.format(Locale.ROOT, "%d runs cut short by the stop (not counted)%n", aborted));
        }
        if (uiSkipped() > 0) {
            // passed on their API phases alone: a load test that measured no UI must not read as one that did
            b.append(String.format(Locale.ROOT, "%d runs skipped their UI phases: no browser free in time (raise --browsers)%n",
                    uiSkipped()));
        }
        b.append(String.format(Locale.ROOT, "%-20s %6s %9s %9s %9s %9s%n", "phase", "count", "p50 s", "p90 s", "p99 s", "max s"));
        phases().forEach((p, s) -> line(b, p.label(), s));
        line(b, "(whole run)", runDurations());
        failures().forEach((reason, n) -> b.append(String.format(Locale.ROOT, "failed %d x %s%n", n, reason)));
        List<Error> listed = errors();
        listed.forEach(e -> b.append(String.format(Locale.ROOT, "  %d x %s in %s: %s%n", e.count(), e.reason(), e.phase(), e.message())));
        int omitted = omitted(listed);
        if (omitted > 0) {
            b.append(String.format(Locale.ROOT, "  %d x of other kinds (only the %d commonest are listed)%n", omitted, MAX_ERRORS));
        }
        return b.toString();
    }

    private static void line(StringBuilder b, String name, Stats s) {
        b.append(String.format(Locale.ROOT, "%-20s %6d %9.3f %9.3f %9.3f %9.3f%n", name, s.count(), s.p50(), s.p90(), s.p99(), s.max()));
    }

    /** One line of live progress: runs, failures by reason, the current spawn p50. */
    public String progressLine(int running) {
        Stats spawn = phases().getOrDefault(Phase.SPAWN, Stats.of(List.of()));
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%4ds  %d running  %d runs  %d failed", elapsed().toSeconds(),
                running, counted().size(), failed()));
        Map<String, Integer> f = failures();
        if (!f.isEmpty()) {
            b.append(" (");
            f.forEach((reason, n) -> b.append(reason).append(' ').append(n).append(", "));
            b.setLength(b.length() - 2);
            b.append(')');
        }
        if (spawn.count() > 0) {
            b.append(String.format(Locale.ROOT, "  spawn p50 %.1f s", spawn.p50()));
        }
        return b.toString();
    }
}
