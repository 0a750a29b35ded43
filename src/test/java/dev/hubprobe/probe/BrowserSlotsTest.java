package dev.hubprobe.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A UI run waits for a browser slot, but only so long: then its UI phases are skipped (and counted). */
class BrowserSlotsTest {
    @Test
    void aRunWaitsForABrowserAtMostItsPatienceThenGetsNone() {
        BrowserSlots slots = new BrowserSlots(1);
        assertEquals(BrowserSlots.Outcome.TAKEN, slots.take(Duration.ofSeconds(1), () -> false));
        long t0 = System.nanoTime();
        assertEquals(BrowserSlots.Outcome.NONE_FREE, slots.take(Duration.ofMillis(400), () -> false),
                "every slot taken: the wait ends at its patience instead of lasting until a stop");
        double waited = (System.nanoTime() - t0) / 1e9;
        assertTrue(waited >= 0.4 && waited < 5, "waited " + waited + " s");
        slots.release();
        assertEquals(BrowserSlots.Outcome.TAKEN, slots.take(Duration.ofMillis(400), () -> false), "a slot given back is free again");
    }

    @Test
    void aStopEndsTheWaitAtOnce() {
        BrowserSlots slots = new BrowserSlots(1);
        slots.take(Duration.ofSeconds(1), () -> false);
        long t0 = System.nanoTime();
        assertEquals(BrowserSlots.Outcome.STOPPED, slots.take(Duration.ofMinutes(5), () -> System.nanoTime() - t0 > 200_000_000L));
        assertTrue(System.nanoTime() - t0 < 3_000_000_000L);
    }
}
