package dev.hubprobe.environment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hubprobe.json.Json;
import dev.hubprobe.jupyter.hub.ProgressEvent;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class EnvironmentTest {
    private static Package pip(String name, String version) {
        return new Package(name, version, null, null);
    }

    private static Package conda(String name, String version, String build) {
        return new Package(name, version, build, "conda-forge");
    }

    @Test
    void theCapturesAnswerIsReadWithCondaRecordsWinningOverTheSamePipPackage() throws IOException {
        String out = "noise printed by a startup file\nHUBPROBE-ENVIRONMENT " + """
                {"image": "quay.io/x/img:2026.11", "python": "3.12.7", "truncated": false,
                 "conda": [{"name": "libsqlite", "version": "3.46.0", "build": "hde9e2c9_0",
                            "channel": "https://conda.anaconda.org/conda-forge/"},
                           {"name": "NumPy", "version": "2.1.0", "build": "py312_0", "channel": null}],
                 "pip": [{"name": "numpy", "version": "2.1.0"}, {"name": "Typing_Extensions", "version": "4.12.2"},
                         {"name": "pandas", "version": "2.2.3"}, {"name": "numpy.extra", "version": "1"}]}
                """.replace("\n", " ") + "\n";
        Environment e = EnvironmentCapture.parse(out, null);
        assertEquals("quay.io/x/img:2026.11", e.image());
        assertEquals("3.12.7", e.python());
        assertEquals(List.of(new Package("libsqlite", "3.46.0", "hde9e2c9_0", "conda-forge"),
                new Package("numpy", "2.1.0", "py312_0", null), pip("numpy-extra", "1"), pip("pandas", "2.2.3"),
                pip("typing-extensions", "4.12.2")), e.packages(), "names normalised, sorted, numpy once (conda's record)");
        assertEquals(5, e.packageCount());
        assertEquals(16, e.fingerprint().length());
    }

    @Test
    void aPipInstallOverCondasCopyKeepsBoth() throws IOException {
        Environment e = EnvironmentCapture.parse("HUBPROBE-ENVIRONMENT {\"python\": \"3.12.7\", \"conda\": [{\"name\": \"numpy\","
                + " \"version\": \"1.26.4\", \"build\": \"b\"}], \"pip\": [{\"name\": \"numpy\", \"version\": \"2.1.0\"}]}", null);
        assertEquals(List.of(new Package("numpy", "1.26.4", "b", null), pip("numpy (pip)", "2.1.0")), e.packages());
    }

    @Test
    void anAnswerWithoutTheEnvironmentLineIsAnError() {
        assertThrows(IOException.class, () -> EnvironmentCapture.parse("something else\n", null));
    }

    @Test
    void theFingerprintNamesTheEnvironmentNotTheOrderItWasListedIn() {
        Environment a = Environment.captured("img", null, "3.12.7", List.of(pip("a", "1"), pip("b", "2")), false);
        Environment b = Environment.captured("img", "pulled/img", "3.12.7", List.of(pip("b", "2"), pip("a", "1")), false);
        assertEquals(a.fingerprint(), b.fingerprint(), "order and the pulled image do not matter");
        assertNotEquals(a.fingerprint(), Environment.captured("img2", null, "3.12.7", a.packages(), false).fingerprint());
        assertNotEquals(a.fingerprint(), Environment.captured("img", null, "3.12.8", a.packages(), false).fingerprint());
        assertNotEquals(a.fingerprint(), Environment.captured("img", null, "3.12.7", List.of(pip("a", "1"), pip("b", "3")), false)
                .fingerprint());
        assertNotEquals(a.fingerprint(), Environment.captured("img", null, "3.12.7",
                List.of(pip("a", "1"), new Package("b", "2", "h1", null)), false).fingerprint(), "a conda build counts");
    }

    @Test
    void theDiffListsAddedRemovedAndChangedPackagesAndTheImage() {
        Environment before = Environment.captured("img@sha256:ab", null, "3.12.7", List.of(conda("libsqlite", "3.45.3", "h1"),
                conda("sqlite", "3.45.3", "h2"), pip("gone", "1.0"), conda("rebuilt", "1.0", "h_old"), pip("same", "1")), false);
        Environment after = Environment.captured("img@sha256:cd", null, "3.12.7", List.of(conda("libsqlite", "3.46.0", "h1"),
                conda("sqlite", "3.46.0", "h3"), pip("new", "0.1"), conda("rebuilt", "1.0", "h_new"), pip("same", "1")), false);
        EnvironmentDiff d = EnvironmentDiff.between(before, after);
        assertEquals(new EnvironmentDiff.ImageChange("img@sha256:ab", "img@sha256:cd"), d.image());
        assertEquals(List.of(pip("new", "0.1")), d.added());
        assertEquals(List.of(pip("gone", "1.0")), d.removed());
        assertEquals(List.of(new EnvironmentDiff.Change("libsqlite", "3.45.3", "3.46.0"),
                new EnvironmentDiff.Change("rebuilt", "1.0=h_old", "1.0=h_new"),
                new EnvironmentDiff.Change("sqlite", "3.45.3", "3.46.0")), d.changed(), "a new build of one version shows its builds");
        assertEquals("image img@sha256:ab → img@sha256:cd; libsqlite 3.45.3 → 3.46.0; rebuilt 1.0=h_old → 1.0=h_new; "
                + "sqlite 3.45.3 → 3.46.0; + new 0.1; - gone 1.0", d.summary(10));
        assertEquals("image img@sha256:ab → img@sha256:cd; libsqlite 3.45.3 → 3.46.0; and 4 more", d.summary(2));
        assertTrue(EnvironmentDiff.between(after, after).empty());
    }

    @Test
    void aNewPythonIsAChangeEvenWithoutACondaRecordForIt() {
        Environment before = Environment.captured(null, null, "3.11.9", List.of(pip("a", "1")), false);
        Environment after = Environment.captured(null, null, "3.12.7", List.of(pip("a", "1")), false);
        EnvironmentDiff d = EnvironmentDiff.between(before, after);
        assertNull(d.image());
        assertEquals(List.of(new EnvironmentDiff.Change("python", "3.11.9", "3.12.7")), d.changed());
    }

    @Test
    void theFailureLineNamesWhenItLastWorked() {
        Environment before = Environment.captured(null, null, "3.12.7", List.of(conda("libsqlite", "3.45.3", "h1")), false);
        Environment after = Environment.captured(null, null, "3.12.7", List.of(conda("libsqlite", "3.46.0", "h1")), false);
        Environment.SinceLastPass s = new Environment.SinceLastPass("r1", Instant.parse("2026-02-11T08:40:12Z"), before.fingerprint(),
                EnvironmentDiff.between(before, after));
        assertEquals("environment changed since the last passing run (2026-02-11 08:40 UTC): libsqlite 3.45.3 → 3.46.0", s.line(8));
    }

    @Test
    void thePulledImageComesFromKubeSpawnersPullEvents() {
        ObjectNode pulling = Json.object();
        pulling.putObject("raw_event").put("reason", "Pulling").put("message", "Pulling image \"quay.io/x/img:latest\"");
        ObjectNode other = Json.object();
        other.putObject("raw_event").put("reason", "Scheduled").put("message", "Successfully assigned hub/jupyter-x to node");
        assertEquals("quay.io/x/img:latest", EnvironmentCapture.pulledImage(List.of(event(other), event(pulling))));
        assertNull(EnvironmentCapture.pulledImage(List.of(event(other))), "no pull, no pulled image");
    }

    private static ProgressEvent event(ObjectNode json) {
        return new ProgressEvent(null, "", false, false, null, json, 0);
    }

    /** The image decides what the capture prints: the Java side keeps its own caps, whatever the kernel sent. */
    @Test
    void aHostileImagesAnswerIsCutToTheCapsOnTheJavaSide() throws IOException {
        StringBuilder pip = new StringBuilder();
        for (int i = 0; i < 7000; i++) {
            pip.append(i == 0 ? "" : ", ").append("{\"name\": \"pkg").append(i).append("\", \"version\": \"1.0\"}");
        }
        String longName = "n".repeat(50_000);
        pip.append(", {\"name\": \"").append(longName).append("a\", \"version\": \"").append("9".repeat(50_000)).append("\"}");
        pip.append(", {\"name\": \"").append(longName).append("b\", \"version\": \"1\"}");
        String out = "HUBPROBE-ENVIRONMENT {\"image\": \"" + "i".repeat(20_000) + "\", \"python\": \"" + "3".repeat(5000)
                + "\", \"truncated\": false, \"conda\": [{\"name\": \"libx\", \"version\": \"1\", \"build\": \""
                + "b".repeat(9000) + "\", \"channel\": \"" + "c".repeat(9000) + "\"}], \"pip\": [" + pip + "]}\n";
        Environment e = EnvironmentCapture.parse(out, null);
        assertEquals(EnvironmentCapture.MAX_PACKAGES, e.packages().size(), "at most the cap, whatever the kernel's own cap did");
        assertEquals(EnvironmentCapture.MAX_PACKAGES, e.packageCount());
        assertTrue(e.truncated(), "a cut list is flagged");
        assertTrue(e.image().length() <= 1000 && e.image().endsWith("[cut]"), e.image().length() + "");
        assertTrue(e.python().length() <= 64, e.python());
        for (Package p : e.packages()) {
            assertTrue(p.name().length() <= 300 && p.version().length() <= 300, p.name().length() + " " + p.version().length());
            assertTrue(p.build() == null || p.build().length() <= 300, () -> "build " + p.build().length());
            assertTrue(p.channel() == null || p.channel().length() <= 300, () -> "channel " + p.channel().length());
        }
        assertEquals(e.packages().size(), e.packages().stream().map(Package::name).distinct().count(), "names stay unique once cut");
    }

    @Test
    void aLongNameIsCutWithAVisibleMarkerAndStaysApartFromAnotherOne() throws IOException {
        String longName = "n".repeat(50_000);
        Environment e = EnvironmentCapture.parse("HUBPROBE-ENVIRONMENT {\"python\": \"3.12.7\", \"conda\": [], \"pip\": ["
                + "{\"name\": \"" + longName + "a\", \"version\": \"" + "9".repeat(50_000) + "\"}, "
                + "{\"name\": \"" + longName + "b\", \"version\": \"1\"}]}", null);
        assertEquals(1, e.packages().size(), "two names alike up to the cap are one package once cut: " + e.packages().size());
        Package p = e.packages().get(0);
        assertTrue(p.name().endsWith("[cut]") && p.version().endsWith("[cut]"), p.name().substring(p.name().length() - 10));
        assertTrue(e.truncated(), "a package left out is flagged");
    }
}
