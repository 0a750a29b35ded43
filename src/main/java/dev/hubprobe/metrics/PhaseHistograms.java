package dev.hubprobe.metrics;

import dev.hubprobe.probe.Phase;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.Exemplars;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Supplier;

/**
 * {@code hubprobe_phase_duration_seconds} and {@code hubprobe_scale_up_duration_seconds}: the latency
 * histograms, one per (hub, probe, phase), written straight into the Prometheus model rather than kept
 * as Micrometer timers. At a thousand hubs they are some 10,000 label sets, nine in ten lines of a scrape;
 * as timers each took a snapshot, built its labels and carried a decaying max gauge on every render, and
 * the library then sorted each family by its labels: two thirds of a 300 ms render. Here every cell keeps
 * its labels, the cells are held in label order (hub, phase, probe: the names' own order), so a render
 * copies counts out and the library's sort finds them in order already. No max gauge: no rule or panel
 * reads it, and the top bucket holds the same news.
 */
final class PhaseHistograms implements MultiCollector {
    private static final Comparator<Key> LABEL_ORDER = Comparator.comparing(Key::hub).thenComparing(Key::phase)
            .thenComparing(Key::probe);

    /** A label set in the order the exposition sorts it: by hub, then phase (blank in a family without one), then probe. */
    private record Key(String hub, String phase, String probe) {
    }

    /** One histogram: counts per bucket (not cumulative, as the model takes them), the +Inf one last. */
    private static final class Cell {
        private final Labels labels;
        private final long[] boundsNanos;
        private final double[] boundsSeconds;
        private final long[] counts;
        private double sum;

        Cell(Labels labels, Duration[] bounds) {
            this.labels = labels;
            this.boundsNanos = new long[bounds.length];
            this.boundsSeconds = new double[bounds.length + 1];
            for (int i = 0; i < bounds.length; i++) {
                boundsNanos[i] = bounds[i].toNanos();
                boundsSeconds[i] = bounds[i].toNanos() / 1e9;
            }
            boundsSeconds[bounds.length] = Double.POSITIVE_INFINITY;
            this.counts = new long[bounds.length + 1];
        }

        synchronized void observe(Duration d) {
            long nanos = Math.max(0, d.toNanos());
            int i = 0;
            while (i < boundsNanos.length && nanos > boundsNanos[i]) {
                i++;
            }
            counts[i]++;
            sum += nanos / 1e9;
        }

        synchronized HistogramDataPointSnapshot snapshot() {
            return new HistogramDataPointSnapshot(ClassicHistogramBuckets.of(boundsSeconds, counts.clone()), sum, labels,
                    Exemplars.EMPTY, 0L);
        }
    }

    /** One family of histograms, its cells in label order. */
    private static final class Family {
        private final MetricMetadata metadata;
        private final ConcurrentSkipListMap<Key, Cell> cells = new ConcurrentSkipListMap<>(LABEL_ORDER);

        Family(String name, String help) {
            this.metadata = new MetricMetadata(name, help);
        }

        /** @param bounds made only for a cell's first observation: every later one finds its cell */
        void observe(Key key, Supplier<Duration[]> bounds, Duration d) {
            cells.computeIfAbsent(key, k -> new Cell(k.phase().isEmpty()
                    ? ProbeMetrics.labels(Labels.of("hub", k.hub()), k.probe())
                    : ProbeMetrics.labels(Labels.of("hub", k.hub(), "phase", k.phase()), k.probe()), bounds.get())).observe(d);
        }

        HistogramSnapshot snapshot() {
            List<HistogramDataPointSnapshot> points = new ArrayList<>(cells.size());
            for (Cell c : cells.values()) {
                points.add(c.snapshot());
            }
            return new HistogramSnapshot(metadata, points);
        }

        void remove(String hub, String probe) {
            cells.keySet().removeIf(k -> k.hub().equals(hub) && (probe == null || k.probe().equals(probe)));
        }

        void retainApps(String hub, String probe, java.util.Set<String> labels) {
            cells.keySet().removeIf(k -> k.hub().equals(hub) && k.probe().equals(probe)
                    && k.phase().startsWith(Phase.APP_PREFIX) && !labels.contains(k.phase()));
        }
    }

    private final Family phases = new Family("hubprobe_phase_duration_seconds", "duration of each phase of a probe run");
    private final Family scaleUps = new Family("hubprobe_scale_up_duration_seconds", "node scale-up time seen in spawns");

    void phase(String hub, String probe, Phase phase, Duration d) {
        phase(hub, probe, phase, phase.label(), d);
    }

    /** @param label the phase's own label ({@code app_<name>} for an app: its kind picks the buckets) */
    void phase(String hub, String probe, Phase phase, String label, Duration d) {
        phases.observe(new Key(hub, label, probe), () -> PhaseBuckets.of(phase), d);
    }

    /**
     * Drops the (hub, probe)'s app phase histograms but those of {@code labels} (its apps now): an app
     * renamed or removed from the probe file would otherwise keep a frozen series for ever.
     */
    void retainApps(String hub, String probe, java.util.Set<String> labels) {
        phases.retainApps(hub, probe, labels);
    }

    void scaleUp(String hub, String probe, Duration d) {
        scaleUps.observe(new Key(hub, "", probe), PhaseBuckets::scaleUp, d);
    }

    /** Drops a (hub, probe)'s histograms; a null probe drops every probe of the hub. */
    void remove(String hub, String probe) {
        phases.remove(hub, probe);
        scaleUps.remove(hub, probe);
    }

    @Override
    public MetricSnapshots collect() {
        // a family with no cells yet stays out of the scrape, as a timer not yet made did
        List<io.prometheus.metrics.model.snapshots.MetricSnapshot> out = new ArrayList<>(2);
        for (Family f : List.of(phases, scaleUps)) {
            if (!f.cells.isEmpty()) {
                out.add(f.snapshot());
            }
        }
        return new MetricSnapshots(out);
    }
}
