package dev.hubprobe.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A cell's {@code hubprobe-measure:} lines become measurements in base units; bad lines say what is wrong. */
class MeasurementTest {
    @Test
    void linesAreReadInBaseUnits() {
        assertEquals(Optional.of(new Measurement("write_seconds", 0.25, Measurement.SECONDS)),
                Measurement.parseLine("hubprobe-measure: write_seconds 250 ms"));
        assertEquals(Optional.of(new Measurement("home_free_bytes", 10.0 * 1024 * 1024 * 1024, Measurement.BYTES)),
                Measurement.parseLine("hubprobe-measure: home_free_bytes 10GiB"));
        assertEquals(Optional.of(new Measurement("workers", 2, Measurement.NONE)), Measurement.parseLine("hubprobe-measure: workers 2"));
        assertEquals(Optional.of(new Measurement("x", 1.5, Measurement.SECONDS)), Measurement.parseLine("hubprobe-measure: x 1.5 s  "));
        assertEquals(Optional.empty(), Measurement.parseLine("the answer is 42"));
    }

    @Test
    void badLinesNameWhatIsWrong() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Measurement.parseLine("hubprobe-measure: Write-Seconds 3"));
        assertTrue(e.getMessage().contains("Write-Seconds"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Measurement.parseLine("hubprobe-measure: t 3 hours"));
        assertTrue(e.getMessage().contains("unit 'hours'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Measurement.parseLine("hubprobe-measure: t"));
        assertThrows(IllegalArgumentException.class, () -> Measurement.parseLine("hubprobe-measure: " + "a".repeat(42) + " 1"));
    }

    @Test
    void displayIsReadable() {
        assertEquals("0.5 s", new Measurement("a", 0.5, Measurement.SECONDS).display());
        assertEquals("10 GiB", Measurement.Quantity.parse("10GiB").display());
        assertEquals("16 MiB", new Measurement("b", 16 * 1024 * 1024, Measurement.BYTES).display());
        assertEquals("3", new Measurement("c", 3, Measurement.NONE).display());
    }

    @Test
    void hugeTinyAndInfiniteValuesStayShortOrAreRefused() {
        Measurement huge = Measurement.parseLine("hubprobe-measure: x 1e308").orElseThrow();
        assertEquals("1E+308", huge.display());
        assertEquals("1.235E-300 s", Measurement.parseLine("hubprobe-measure: t 1.23456e-300 s").orElseThrow().display());
        assertEquals("-2.5 s", Measurement.parseLine("hubprobe-measure: t -2500 ms").orElseThrow().display());
        assertTrue(new Measurement("b", 1e300, Measurement.BYTES).display().endsWith(" TiB"));
        assertTrue(new Measurement("b", 1e300, Measurement.BYTES).display().length() < 20, new Measurement("b", 1e300, Measurement.BYTES).display());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Measurement.parseLine("hubprobe-measure: x 1e308 GiB"));
        assertTrue(e.getMessage().contains("too large"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Measurement.Quantity.parse("1e999s"));
        assertEquals("'1e999s' is too large a number", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Measurement.parseLine("hubprobe-measure: x NaN"));
        assertThrows(IllegalArgumentException.class, () -> Measurement.parseLine("hubprobe-measure: x Infinity"));
    }
}
