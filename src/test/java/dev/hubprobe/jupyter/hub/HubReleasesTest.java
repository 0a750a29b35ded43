package dev.hubprobe.jupyter.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What counts as inside the matrix's tested range, and what a version may look like to be kept. */
class HubReleasesTest {
    @Test
    void onlyTheReleasesTheMatrixRunsAreTested() {
        for (String v : new String[] {"4.1.6", "5.2.1", "5.5.4", "6.1.1"}) {
            assertTrue(HubReleases.tested(v), v);
            assertEquals(Optional.empty(), HubReleases.note(v), v);
        }
        for (String v : new String[] {"4.1.0", "5.3.0", "6.0.0b1", "6.1.2", "4.0.2", "3.1.1", "6.2.0", "10.1.0", "", "unknown"}) {
            assertFalse(HubReleases.tested(v), v);
        }
        assertFalse(HubReleases.tested(null));
    }

    @Test
    void theNoteNamesExactlyTheTestedReleasesAndSaysWhetherTheHubIsBetweenThem() {
        assertEquals(Optional.of("JupyterHub 5.3.0 is between tested releases (tested: 4.1.6, 5.2.1, 5.5.4, 6.1.1): probed anyway"),
                HubReleases.note("5.3.0"));
        assertEquals(Optional.of("JupyterHub 4.1.0 is between tested releases (tested: 4.1.6, 5.2.1, 5.5.4, 6.1.1): probed anyway"),
                HubReleases.note("4.1.0"));
        assertEquals(Optional.of("JupyterHub 6.2.0 is outside the tested releases (tested: 4.1.6, 5.2.1, 5.5.4, 6.1.1): probed anyway"),
                HubReleases.note("6.2.0"));
        assertEquals(Optional.of("JupyterHub unknown is outside the tested releases (tested: 4.1.6, 5.2.1, 5.5.4, 6.1.1): probed anyway"),
                HubReleases.note(null));
    }

    @Test
    void aMajorVersionTooLongToBeOneIsUnknownNotAnException() {
        assertEquals(0, HubClient.majorVersion("99999999999.0"));
        assertEquals(0, HubClient.majorVersion("x.1"));
        assertEquals(6, HubClient.majorVersion("6.1.1"));
        assertEquals(5, HubClient.majorVersion("5.0.0b1"));
        assertTrue(HubReleases.cancelsPendingSpawns("99999999999.0")); // unknown: a current hub
        assertFalse(HubReleases.cancelsPendingSpawns("4.1.6"));
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
