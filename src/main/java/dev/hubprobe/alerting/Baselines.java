package dev.hubprobe.alerting;

import dev.hubprobe.history.HistoryStore;
import dev.hubprobe.probe.ProbeKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one baseline computation, used by the alert engine and by {@code /api/v1/baselines} (what
 * {@code hubprobe check --baseline-from} compares a deploy against), so the two can never disagree.
 *
 * <p>A phase's <em>current</em> value is the median of the newest {@code recent} passing runs; its
 * <em>baseline</em> the median of the passing runs in the policy's {@code window} before those. The
 * database computes the baseline median (a 30-day window holds tens of thousands of runs); it moves
 * slowly, so it is kept for {@code refresh} (longer for a long window, see {@link #refresh(AlertPolicy)})
 * before it is computed again.
 */
public final class Baselines {
    /** One phase: its current median, its baseline median, and the baseline's number of samples. */
    public record Phase(double current, double baseline, int samples) {
    }

    /**
     * A computed baseline, with the window and the number of recent runs it was computed for: a reload that
     * changes either computes it again at once, else the old window's baseline was judged by, and served
     * beside the new window, for as long as it is kept (30 to 60 minutes for 30 days).
     */
    private record Cached(Instant at, Duration window, int recent, Map<String, HistoryStore.Median> medians, Duration keep) {
        Cached(Instant at, AlertPolicy p, Map<String, HistoryStore.Median> medians, Duration keep) {
            this(at, p.window(), p.recent(), medians, keep);
        }
    }

    private final HistoryStore history;
    private final Clock clock;
    private final Duration refresh;
    private final Map<ProbeKey, Cached> cache = new ConcurrentHashMap<>();

    public Baselines(HistoryStore history, Clock clock, Duration refresh) {
        this.history = history;
        this.clock = clock;
        this.refresh = refresh;
    }

    /** Every phase of the pair that has both enough recent runs and a baseline of at least {@code minSamples}. */
    public Map<String, Phase> of(ProbeKey key, AlertPolicy p) {
        return of(key, p, HistoryStore.READER_WAIT);
    }

    /**
     * As {@link #of(ProbeKey, AlertPolicy)}, for a run's alert decision and the chart's baseline line: a baseline that is due to be read
     * again while the history's baseline reads are all taken (right after a start, every pair reads its
     * window once) is not waited for: the one kept is used, and a phase without one is not judged this
     * run (the pair's next run tries again). The run thread never queues behind a month of reads.
     */
    public Map<String, Phase> withoutWaiting(ProbeKey key, AlertPolicy p) {
        return of(key, p, HistoryStore.BASELINE_WAIT);
    }

    private Map<String, Phase> of(ProbeKey key, AlertPolicy p, Duration wait) {
        HistoryStore.Recent recent = history.recentPassing(key, p.recent());
        Map<String, Phase> out = new LinkedHashMap<>();
        if (recent.runs() < p.recent()) {
            return out;
        }
        Instant now = clock.instant();
        Cached c = cache.get(key);
        if (stale(c, p, now, recent.phases().keySet())) {
            try {
                // the baseline ends where the recent runs begin: a slow spell must not become its own baseline
                c = new Cached(now, p, history.phaseMedians(key, now.minus(p.window()), recent.oldestStart(), wait), keep(p));
                cache.put(key, c);
            } catch (HistoryStore.Busy busy) {
                if (!usable(c, p)) {
                    return out;
                }
            }
        }
        for (Map.Entry<String, List<Double>> e : recent.phases().entrySet()) {
            if (e.getValue().size() < p.recent()) {
                try {
                    sparse(key, e.getKey(), p, now, wait).ifPresent(phase -> out.put(e.getKey(), phase));
                } catch (HistoryStore.Busy busy) {
                    // not judged this run
                }
                continue;
            }
            HistoryStore.Median m = c.medians().get(e.getKey());
            if (m != null && m.samples() >= p.minSamples()) {
                out.put(e.getKey(), new Phase(median(e.getValue()), m.seconds(), m.samples()));
            }
        }
        return out;
    }

    /**
     * A phase that only some of the newest runs have (spawn_scale_up, build_*): judged on the newest
     * {@code recent} runs that have it, against the window before those. Judged on the newest runs
     * instead, it was never judged again once most lacked it, and its alert stayed firing for ever.
     */
    private java.util.Optional<Phase> sparse(ProbeKey key, String phase, AlertPolicy p, Instant now, Duration wait) {
        HistoryStore.Recent own = history.recentPassingWithPhase(key, phase, now.minus(p.window()), p.recent(), wait);
        if (own.runs() < p.recent()) {
            return java.util.Optional.empty();
        }
        SparseKey k = new SparseKey(key, phase);
        Cached c = sparse.get(k);
        if (stale(c, p, now, java.util.Set.of(phase))) {
            try {
                c = new Cached(now, p, history.phaseMedians(key, now.minus(p.window()), own.oldestStart(), wait), keep(p));
                sparse.put(k, c);
            } catch (HistoryStore.Busy busy) {
                if (!usable(c, p)) {
                    throw busy;
                }
            }
        }
        HistoryStore.Median m = c.medians().get(phase);
        return m == null || m.samples() < p.minSamples() ? java.util.Optional.empty()
                : java.util.Optional.of(new Phase(median(own.phases().get(phase)), m.seconds(), m.samples()));
    }

    private record SparseKey(ProbeKey pair, String phase) {
    }

    private final Map<SparseKey, Cached> sparse = new ConcurrentHashMap<>();

    /**
     * When the pair's newest passing run with this phase started; empty when none within {@code window} has
     * it. For a run's alert decision: {@link HistoryStore.Busy} when the baseline's reads are all taken.
     */
    public java.util.Optional<Instant> lastSample(ProbeKey key, String phase, Duration window) {
        return java.util.Optional.ofNullable(history.recentPassingWithPhase(key, phase, clock.instant().minus(window), 1,
                HistoryStore.BASELINE_WAIT).oldestStart());
    }

    /**
     * How long a computed baseline is kept: {@code refresh}, or a 720th of the window when that is longer
     * (an hour for the default 30 days). The median over a month moves by what an hour adds to it, next to
     * nothing, and it is the history's costliest read: each pair's runs of the whole window with their
     * phases (115,000 rows at 3 minutes). Refreshed every 5 minutes, 1,000 pairs made three of those a
     * second, and the service spent most of a core on them (-Pbench-status).
     */
    private Duration refresh(AlertPolicy p) {
        Duration share = p.window().dividedBy(720);
        return share.compareTo(refresh) > 0 ? share : refresh;
    }

    /**
     * How long this computation is kept: {@link #refresh(AlertPolicy)}, or, when that is the window's share,
     * somewhere in its second half (30 to 60 minutes for 30 days), drawn anew each time. After a start every
     * pair reads its baseline in the first interval; kept for exactly the hour, all 1,000 of them were read
     * again in the same few minutes every hour, and each such burst (a month of samples per pair) filled the
     * heap as the first one did. Drawn, they spread over the hour within a few hours.
     */
    private Duration keep(AlertPolicy p) {
        Duration full = refresh(p);
        if (full.equals(refresh)) {
            return full;
        }
        Duration drawn = Duration.ofMillis((long) (full.toMillis() * (0.5 + 0.5 * java.util.concurrent.ThreadLocalRandom.current().nextDouble())));
        return drawn.compareTo(refresh) > 0 ? drawn : refresh;
    }

    /** A kept baseline that may stand in while none can be read: one of the policy's window and recent runs. */
    private static boolean usable(Cached c, AlertPolicy p) {
        return c != null && c.window().equals(p.window()) && c.recent() == p.recent();
    }

    /**
     * Whether a kept baseline is computed again: computed for another window or number of recent runs (a
     * reload changed them); past the time it is kept ({@link #keep(AlertPolicy)}); or past {@code refresh}
     * while one of the phases asked about has no baseline in it yet (a phase that gained its samples since,
     * such as a scale-up that only some spawns have, is judged as soon as before); or, for a young history,
     * on every run until some phase has one.
     */
    private boolean stale(Cached c, AlertPolicy p, Instant now, java.util.Set<String> asked) {
        if (!usable(c, p) || c.at().plus(c.keep()).isBefore(now) || !enough(c, p)) {
            return true;
        }
        return c.at().plus(refresh).isBefore(now) && asked.stream().anyMatch(phase -> {
            HistoryStore.Median m = c.medians().get(phase);
            return m == null || m.samples() < p.minSamples();
        });
    }

    /** A young history is looked at again every run until some phase has a baseline; then every {@code refresh}. */
    private static boolean enough(Cached c, AlertPolicy p) {
        return c.medians().values().stream().anyMatch(m -> m.samples() >= p.minSamples());
    }

    public static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
