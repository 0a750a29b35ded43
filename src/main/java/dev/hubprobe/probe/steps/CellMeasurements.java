package dev.hubprobe.probe.steps;

import dev.hubprobe.json.Json;
import dev.hubprobe.probe.Measurement;
import dev.hubprobe.probe.ProbeContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Takes the {@code hubprobe-measure: <name> <value> [<unit>]} lines out of a cell's stdout into the
 * run's measurements. A malformed line, or a name past the per-probe limit, is a note (the cell's
 * author sees it on the run's page), never a failure of the hub.
 */
final class CellMeasurements {
    private CellMeasurements() {
    }

    /** @return the names this output reported, in order */
    static List<String> collect(ProbeContext ctx, String stdout, String where) {
        List<String> names = new ArrayList<>();
        if (stdout == null || !stdout.contains(Measurement.PREFIX)) {
            return names;
        }
        for (String line : stdout.split("\\R")) {
            Optional<Measurement> m;
            try {
                m = Measurement.parseLine(line);
            } catch (IllegalArgumentException e) {
                ctx.notes.add(where + "measurement line ignored: " + Json.abbreviate(e.getMessage(), 200));
                continue;
            }
            if (m.isEmpty()) {
                continue;
            }
            Measurement x = m.get();
            if (!ctx.measurements.containsKey(x.name()) && ctx.measurements.size() >= Measurement.MAX_PER_PROBE) {
                // each name is a series on /metrics: the limit keeps the label values bounded
                ctx.notes.add(where + "measurement " + x.name() + " ignored: a run keeps at most " + Measurement.MAX_PER_PROBE);
                continue;
            }
            ctx.measurements.remove(x.name()); // re-reported: kept in the order of its last report
            ctx.measurements.put(x.name(), x);
            names.add(x.name());
        }
        return names;
    }
}
