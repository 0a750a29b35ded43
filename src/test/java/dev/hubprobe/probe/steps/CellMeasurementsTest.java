package dev.hubprobe.probe.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.config.Redactor;
import dev.hubprobe.jupyter.Deadline;
import dev.hubprobe.probe.Measurement;
import dev.hubprobe.probe.ProbeClock;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeTarget;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a cell prints can make the run keep only so many measurements and so many notes about them. */
class CellMeasurementsTest {
    private static ProbeContext context() {
        ProbeDefinition p = new ProbeDefinition("p", null, null, null, null, null, null, List.of(new ProbeDefinition.Cell("1", null)));
        return new ProbeContext("run", new ProbeTarget("h", "http://127.0.0.1:1/", "u", new ProbeTarget.Token(dev.hubprobe.config.Secret.of("t"))), p, null, null,
                new Deadline(System::nanoTime), ProbeClock.SYSTEM, Redactor.forRun());
    }

    @Test
    void aRunKeepsAtMostTwentyNamesTheLastReportOfEachAndAFewNotes() {
        ProbeContext ctx = context();
        StringBuilder out = new StringBuilder("hubprobe-measure: a 1 s\n");
        for (int i = 0; i < 40; i++) {
            out.append("hubprobe-measure: m").append(i).append(' ').append(i).append('\n');
        }
        out.append("hubprobe-measure: a 2 s\n");
        for (int i = 0; i < 1000; i++) {
            out.append("hubprobe-measure: Bad ").append(i).append('\n');
        }
        List<String> names = CellMeasurements.collect(ctx, out.toString(), "cell 1: ");
        assertEquals(Measurement.MAX_PER_PROBE, ctx.measurements.size());
        assertEquals(2.0, ctx.measurements.get("a").value(), "the last report of a name wins");
        assertTrue(names.contains("a") && !names.contains("m39"));
        assertEquals(CellMeasurements.MAX_NOTES + 1, ctx.notes.size(), ctx.notes::toString);
        assertTrue(ctx.notes.get(0).startsWith("cell 1: measurement m19 ignored: a run keeps at most 20"), ctx.notes.get(0));
    }

    @Test
    void aCellPrintingTwentyOtherNamesFirstCannotCrowdOutABoundedMeasurement() {
        ProbeDefinition p = new ProbeDefinition("p", null, null, null, null, null, null, List.of(new ProbeDefinition.Cell("1", null)),
                null, null, null, null, null,
                java.util.Map.of("write_seconds", new ProbeDefinition.MeasureBound(null, Measurement.Quantity.parse("5s"), null)));
        ProbeContext ctx = new ProbeContext("run", new ProbeTarget("h", "http://127.0.0.1:1/", "u",
                new ProbeTarget.Token(dev.hubprobe.config.Secret.of("t"))), p, null, null,
                new Deadline(System::nanoTime), ProbeClock.SYSTEM, Redactor.forRun());
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            out.append("hubprobe-measure: debug").append(i).append(' ').append(i).append('\n');
        }
        out.append("hubprobe-measure: write_seconds 9 s\n");
        CellMeasurements.collect(ctx, out.toString(), "cell 1: ");
        assertEquals(Measurement.MAX_PER_PROBE, ctx.measurements.size(), "still bounded");
        assertTrue(ctx.measurements.containsKey("write_seconds"), "the bounded name was crowded out: " + ctx.notes);
        assertEquals(9.0, ctx.measurements.get("write_seconds").value());
        // so the run fails for what the hub did (too slow), not with "write_seconds was not reported"
        dev.hubprobe.probe.ProbeFailure f = org.junit.jupiter.api.Assertions.assertThrows(dev.hubprobe.probe.ProbeFailure.class,
                () -> ExecuteStep.inRange(p.measurements(), ctx.measurements));
        assertEquals("measurement write_seconds = 9 s is above its max 5 s", f.getMessage());
    }
}
