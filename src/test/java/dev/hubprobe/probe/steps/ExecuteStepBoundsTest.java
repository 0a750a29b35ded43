package dev.hubprobe.probe.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.probe.Measurement;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeFailure;
import dev.hubprobe.probe.Reason;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Bounds on measurements and saved outputs, the parts of the execute step that need no kernel. */
class ExecuteStepBoundsTest {
    private static ProbeDefinition.MeasureBound bound(String min, String max) {
        return new ProbeDefinition.MeasureBound(min == null ? null : Measurement.Quantity.parse(min),
                max == null ? null : Measurement.Quantity.parse(max), false);
    }

    @Test
    void outOfRangeNamesTheMeasurementItsValueAndTheBound() {
        Map<String, ProbeDefinition.MeasureBound> bounds = Map.of("write_seconds", bound(null, "5s"));
        ExecuteStep.inRange(bounds, Map.of("write_seconds", new Measurement("write_seconds", 4.9, Measurement.SECONDS)));
        ProbeFailure f = assertThrows(ProbeFailure.class, () -> ExecuteStep.inRange(bounds,
                Map.of("write_seconds", new Measurement("write_seconds", 7.5, Measurement.SECONDS))));
        assertEquals(Reason.MEASURE_OUT_OF_RANGE, f.reason());
        assertEquals("measurement write_seconds = 7.5 s is above its max 5 s", f.getMessage());
        f = assertThrows(ProbeFailure.class, () -> ExecuteStep.inRange(Map.of("free", bound("10GiB", null)),
                Map.of("free", new Measurement("free", 1024 * 1024, Measurement.BYTES))));
        assertEquals("measurement free = 1 MiB is below its min 10 GiB", f.getMessage());
        f = assertThrows(ProbeFailure.class, () -> ExecuteStep.inRange(bounds, Map.of()));
        assertTrue(f.getMessage().contains("write_seconds was not reported"), f.getMessage());
    }

    @Test
    void savedOutputsCompareAfterNormalizingAndShowTheDiff() {
        SavedOutputs.check("", "took 0.31 s\n42\n", "took 1.07 s\n42", List.of("\\d+\\.\\d+ s"));
        ProbeFailure f = assertThrows(ProbeFailure.class,
                () -> SavedOutputs.check("nb.ipynb cell 3 (print(x)): ", "a\nb\nc\n", "a\nB\nc\n", List.of()));
        assertEquals(Reason.OUTPUT_MISMATCH, f.reason());
        assertTrue(f.getMessage().startsWith("nb.ipynb cell 3 (print(x)): output differs from the saved output:"), f.getMessage());
        assertTrue(f.getMessage().contains("- b\n") && f.getMessage().contains("+ B"), f.getMessage());
    }

    @Test
    void aBoundedMeasurementNotReportedSaysWhatTheCellsDidReport() {
        Map<String, ProbeDefinition.MeasureBound> bounds = Map.of("write_seconds", bound(null, "5s"));
        ProbeFailure f = assertThrows(ProbeFailure.class, () -> ExecuteStep.inRange(bounds,
                Map.of("write_secs", new Measurement("write_secs", 1, Measurement.SECONDS))));
        assertEquals("measurement write_seconds was not reported (bound: max 5 s); the cells reported write_secs", f.getMessage());
        f = assertThrows(ProbeFailure.class, () -> ExecuteStep.inRange(bounds, Map.of()));
        assertEquals("measurement write_seconds was not reported (bound: max 5 s); no cell printed a 'hubprobe-measure:' line",
                f.getMessage());
    }
}
