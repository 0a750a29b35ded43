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
    /** Notes a run keeps about measurement lines left out: a cell printing a million bad lines makes a few notes, not a million. */
    static final int MAX_NOTES = 5;
    private static final String IGNORED = " ignored";

    private CellMeasurements() {
    }

    private static void note(ProbeContext ctx, String note) {
        long before = ctx.notes.stream().filter(n -> n.contains("measurement") && n.contains(IGNORED)).count();
        if (before < MAX_NOTES) {
            ctx.notes.add(note);
        } else if (before == MAX_NOTES) {
            ctx.notes.add("further measurement lines ignored: a run notes the first " + MAX_NOTES);
        }
    }

    /**
     * Whether a new name fits. The names in the probe's {@code measurements:} always do: their slots are
     * kept, so a cell printing twenty other names first cannot make a bounded one "not reported"
     * (a 3 a.m. message naming the wrong cause). Others share what is left of {@link Measurement#MAX_PER_PROBE}.
     */
    private static boolean room(ProbeContext ctx, String name) {
        java.util.Set<String> declared = ctx.probe.measurements().keySet();
        if (declared.contains(name)) {
            return true;
        }
        long others = ctx.measurements.keySet().stream().filter(n -> !declared.contains(n)).count();
        return others < Measurement.MAX_PER_PROBE - declared.size();
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
                note(ctx, where + "measurement line" + IGNORED + ": " + Json.abbreviate(e.getMessage(), 200));
                continue;
            }
            if (m.isEmpty()) {
                continue;
            }
            Measurement x = m.get();
            if (!ctx.measurements.containsKey(x.name()) && !room(ctx, x.name())) {
                // each name is a series on /metrics: the limit keeps the label values bounded
                note(ctx, where + "measurement " + x.name() + IGNORED + ": a run keeps at most " + Measurement.MAX_PER_PROBE
                        + (ctx.probe.measurements().isEmpty() ? "" : ", the probe's measurements: first"));
                continue;
            }
            ctx.measurements.remove(x.name()); // re-reported: kept in the order of its last report
            ctx.measurements.put(x.name(), x);
            names.add(x.name());
        }
        return names;
    }
}
