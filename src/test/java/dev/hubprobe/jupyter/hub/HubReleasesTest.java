package dev.hubprobe.jupyter.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What counts as inside the matrix's tested range, and what a version may look like to be kept. */
class HubReleasesTest {
    @Test
    void theTestedRangeIsFourOneToSixOneWhateverThePatchOrPreRelease() {
        for (String v : new String[] {"4.1.0", "4.1.6", "5.2.1", "5.5.4", "6.0.0b1", "6.1.1"}) {
            assertTrue(HubReleases.tested(v), v);
        }
        for (String v : new String[] {"4.0.2", "3.1.1", "1.5.0", "6.2.0", "7.0.0", "10.1.0", "", "unknown"}) {
            assertFalse(HubReleases.tested(v), v);
        }
        assertFalse(HubReleases.tested(null));
    }

    @Test
    void aVersionIsKeptOnlyInABoundedShape() {
        assertEquals("5.2.1", HubReleases.bounded("5.2.1"));
        assertEquals("6.0.0b1", HubReleases.bounded("6.0.0b1"));
        assertEquals("2.14.2+local", HubReleases.bounded("2.14.2+local"));
        assertEquals("unknown", HubReleases.bounded("5.2.1\"} 1\nfake_metric 9"));
        assertEquals("unknown", HubReleases.bounded("1".repeat(33)));
        assertEquals("unknown", HubReleases.bounded(null));
    }
}
