package dev.hubprobe.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.Exemplars;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.Arrays;

/**
 * {@code hubprobe_measurement_value}: a histogram per (hub, probe, measurement name) whose probe asked
 * for one ({@code histogram: true}), in the measurement's base unit, its buckets chosen by that unit.
 * Written straight into the Prometheus model, as {@link PhaseHistograms}: a Micrometer summary rounds
 * each value up to a whole number, so 0.4 s would count in no bucket below 1.
 */
final class MeasurementHistograms implements MultiCollector {
    private record Key(String hub, String name, String probe) {
    }

    private static final Comparator<Key> LABEL_ORDER = Comparator.comparing(Key::hub).thenComparing(Key::name)
            .thenComparing(Key::probe);

    private static final class Cell {
        private final Labels labels;
        private final double[] bounds;
        private final long[] counts;
        private double sum;

        Cell(Key k, double[] upper) {
            labels = ProbeMetrics.labels(Labels.of("hub", k.hub(), "name", k.name()), k.probe());
            bounds = Arrays.copyOf(upper, upper.length + 1);
            bounds[upper.length] = Double.POSITIVE_INFINITY;
            counts = new long[bounds.length];
        }

        boolean sameBuckets(double[] upper) {
            return Arrays.equals(Arrays.copyOf(bounds, bounds.length - 1), upper);
        }

        synchronized void observe(double v) {
            int i = 0;
            while (i < bounds.length - 1 && v > bounds[i]) {
                i++;
            }
            counts[i]++;
            sum += v;
        }

        synchronized HistogramDataPointSnapshot snapshot() {
            return new HistogramDataPointSnapshot(ClassicHistogramBuckets.of(bounds, counts.clone()), sum, labels, Exemplars.EMPTY, 0L);
        }
    }

    private final MetricMetadata metadata = new MetricMetadata("hubprobe_measurement_value",
            "the values a probe's cells reported (hubprobe-measure lines) for measurements the probe asks a histogram of, in base units");
    private final ConcurrentSkipListMap<Key, Cell> cells = new ConcurrentSkipListMap<>(LABEL_ORDER);

    void observe(String hub, String probe, String name, double[] bounds, double value) {
        // a measurement whose unit changed (write_seconds now printed in bytes by a cell's mistake, or a
        // plain number now in seconds) starts a histogram of the new buckets: counted in the old ones, a
        // size would land in +Inf of seconds forever and the p95 would say nothing
        cells.compute(new Key(hub, name, probe), (k, c) -> c != null && c.sameBuckets(bounds) ? c : new Cell(k, bounds))
                .observe(value);
    }

    /** Drops a (hub, probe)'s histograms; a null probe drops every probe of the hub. */
    void remove(String hub, String probe) {
        cells.keySet().removeIf(k -> k.hub().equals(hub) && (probe == null || k.probe().equals(probe)));
    }

    /** Drops one measurement's histogram (no longer reported by the probe). */
    void remove(String hub, String probe, String name) {
        cells.remove(new Key(hub, name, probe));
    }

    @Override
    public MetricSnapshots collect() {
        if (cells.isEmpty()) {
            return new MetricSnapshots(List.of());
        }
        List<HistogramDataPointSnapshot> points = new ArrayList<>(cells.size());
        for (Cell c : cells.values()) {
            points.add(c.snapshot());
        }
        return new MetricSnapshots(List.of(new HistogramSnapshot(metadata, points)));
    }
}
