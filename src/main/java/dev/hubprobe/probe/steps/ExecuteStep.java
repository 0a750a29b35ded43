package dev.hubprobe.probe.steps;

import dev.hubprobe.json.Json;
import dev.hubprobe.jupyter.kernel.ExecuteResult;
import dev.hubprobe.probe.Failures;
import dev.hubprobe.probe.Measurement;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeFailure;
import dev.hubprobe.probe.ProbeStep;
import dev.hubprobe.probe.Reason;
import dev.hubprobe.probe.Transcript;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Runs the probe's cells (its own, or a notebook's code cells) in order; a cell that raises or prints
 * the wrong thing fails the run, and so, after the last cell, does a measurement past its bound.
 */
public final class ExecuteStep implements ProbeStep {
    @Override
    public Phase phase() {
        return Phase.EXECUTE;
    }

    @Override
    public void run(ProbeContext ctx) {
        List<ProbeDefinition.Cell> cells = ctx.probe.cells();
        if (cells.isEmpty()) {
            throw new IllegalStateException("the probe's notebook was not read (ProbeDefinition.load reads it)");
        }
        long deadline = ctx.phaseDeadline();
        for (int i = 0; i < cells.size(); i++) {
            ProbeDefinition.Cell cell = cells.get(i);
            String where = cell.where() != null ? cell.where() + " (" + cell.firstLine() + "): "
                    : cells.size() == 1 ? "" : "cell " + (i + 1) + ": ";
            ctx.cellRunning = true;
            ExecuteResult r;
            try {
                r = ctx.channel.execute(cell.code(), deadline);
            } catch (ProbeFailure f) {
                throw f;
            } catch (RuntimeException e) {
                // past timeouts.execute, or the kernel died: still say which cell, and keep every cell in the
                // transcript, as for a cell that raised (in a long notebook "no reply within 5m" alone names nothing)
                ProbeFailure f = Failures.classify(Phase.EXECUTE, e);
                ctx.cells.add(new Transcript.Cell(cell.code(), "", f.reason().label() + ": " + Json.abbreviate(f.getMessage(), 300)));
                notRun(ctx, cells, i + 1);
                throw where.isEmpty() ? e : new ProbeFailure(f.reason(), where + f.getMessage(), e);
            }
            ctx.cellRunning = false;
            ctx.cells.add(new Transcript.Cell(cell.code(), r.output() + r.stderr(),
                    r.ok() ? null : r.errorName() != null ? r.errorName() + ": " + r.errorValue() : "status " + r.status()));
            List<String> measured = CellMeasurements.collect(ctx, r.stdout(), where);
            try {
                if (!r.ok() && !cell.expect().allowError()) {
                    String error = r.errorName() != null ? r.errorName() + ": " + r.errorValue() : "execute_reply status " + r.status();
                    throw new ProbeFailure(Reason.EXECUTE_ERROR, where + error);
                }
                check(where, cell.expect(), r.output());
                for (String name : cell.expect().measure()) {
                    if (!measured.contains(name)) {
                        throw new ProbeFailure(Reason.OUTPUT_MISMATCH, where + "expected the measurement " + name
                                + " (a line '" + Measurement.PREFIX + " " + name + " <value> [<unit>]'), the cell reported "
                                + (measured.isEmpty() ? "none" : String.join(", ", measured)));
                    }
                }
                if (cell.savedOutput() != null && ctx.probe.expectSavedOutputs()) {
                    SavedOutputs.check(where, cell.savedOutput(), r.output(), ctx.probe.normalize());
                }
            } catch (ProbeFailure f) {
                notRun(ctx, cells, i + 1);
                throw f;
            }
        }
        inRange(ctx.probe.measurements(), ctx.measurements);
    }

    /** A notebook's transcript keeps every cell: those after the failing one, marked as not run. */
    private static void notRun(ProbeContext ctx, List<ProbeDefinition.Cell> cells, int from) {
        for (int j = from; j < cells.size(); j++) {
            if (cells.get(j).where() != null) {
                ctx.cells.add(new Transcript.Cell(cells.get(j).code(), "", "not run: an earlier cell failed"));
            }
        }
    }

    /** Every bounded measurement was reported and is within its bounds, or the run fails naming it. */
    static void inRange(Map<String, ProbeDefinition.MeasureBound> bounds, Map<String, Measurement> measured) {
        for (Map.Entry<String, ProbeDefinition.MeasureBound> e : bounds.entrySet()) {
            ProbeDefinition.MeasureBound b = e.getValue();
            if (b.min() == null && b.max() == null) {
                continue; // only a histogram asked for
            }
            Measurement m = measured.get(e.getKey());
            String bound = (b.min() != null ? "min " + b.min().display() : "") + (b.min() != null && b.max() != null ? ", " : "")
                    + (b.max() != null ? "max " + b.max().display() : "");
            if (m == null) {
                // the names that did come: a typo (write_secs) or a rename is then plain to see
                throw new ProbeFailure(Reason.MEASURE_OUT_OF_RANGE, "measurement " + e.getKey() + " was not reported (bound: " + bound + "); "
                        + (measured.isEmpty() ? "no cell printed a '" + Measurement.PREFIX + "' line"
                        : "the cells reported " + Json.abbreviate(String.join(", ", measured.keySet()), 300)));
            }
            Measurement.Quantity q = b.min() != null ? b.min() : b.max();
            if (!q.unit().equals(m.unit())) {
                throw new ProbeFailure(Reason.MEASURE_OUT_OF_RANGE, "measurement " + m.name() + " = " + m.display()
                        + " is not in the unit of its bound (" + bound + ")");
            }
            if (b.min() != null && m.value() < b.min().value()) {
                throw new ProbeFailure(Reason.MEASURE_OUT_OF_RANGE, "measurement " + m.name() + " = " + m.display()
                        + " is below its min " + b.min().display());
            }
            if (b.max() != null && m.value() > b.max().value()) {
                throw new ProbeFailure(Reason.MEASURE_OUT_OF_RANGE, "measurement " + m.name() + " = " + m.display()
                        + " is above its max " + b.max().display());
            }
        }
    }

    private static void check(String where, ProbeDefinition.Expect expect, String output) {
        if (expect.outputContains() != null && !output.contains(expect.outputContains())) {
            throw new ProbeFailure(Reason.OUTPUT_MISMATCH, where + "expected output containing '"
                    + Json.abbreviate(expect.outputContains(), 100) + "', got '" + Json.abbreviate(output, 200) + "'");
        }
        if (expect.outputMatches() != null && !Pattern.compile(expect.outputMatches()).matcher(output).find()) {
            throw new ProbeFailure(Reason.OUTPUT_MISMATCH, where + "expected output matching /"
                    + expect.outputMatches() + "/, got '" + Json.abbreviate(output, 200) + "'");
        }
    }
}
