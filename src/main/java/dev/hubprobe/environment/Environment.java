package dev.hubprobe.environment;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * The user environment a run's kernel saw: the image, Python's version and the installed packages,
 * named by a fingerprint. A run as it ends carries the full package list; a run read back from the
 * history carries only its count (the list is stored once per fingerprint).
 *
 * @param pulledImage    the image the spawn's events pulled, when there was a pull (not fingerprinted:
 *                       it is seen only on a cold node)
 * @param truncated      the list stopped at the capture's cap
 * @param changed        differs from the previous run of the same (hub, probe) that captured one
 * @param diff           from that previous run; null when there is none or nothing changed
 * @param sinceLastPass  for a failed run whose environment differs from the last passing run's
 */
public record Environment(String fingerprint, String image, String pulledImage, String python, int packageCount,
                          List<Package> packages, boolean truncated, boolean changed, EnvironmentDiff diff,
                          SinceLastPass sinceLastPass) {

    public Environment {
        packages = List.copyOf(packages);
    }

    /** The environment that differs from a failed run's: the last passing run's, and what changed since. */
    public record SinceLastPass(String runId, Instant at, String fingerprint, EnvironmentDiff diff) {
        private static final java.time.format.DateTimeFormatter MINUTE =
                java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(java.time.ZoneOffset.UTC);

        /**
         * The one line an alert and a run page show: {@code environment changed since the last passing
         * run (2026-02-11 08:40 UTC): libsqlite 3.45.3 → 3.46.0; ...}, the first {@code limit} entries.
         */
        public String line(int limit) {
            return "environment changed since the last passing run (" + MINUTE.format(at) + "): " + diff.summary(limit);
        }
    }

    /** A freshly captured environment, its packages sorted and fingerprinted, not yet compared. */
    public static Environment captured(String image, String pulledImage, String python, List<Package> packages, boolean truncated) {
        List<Package> sorted = packages.stream().sorted(Comparator.comparing(Package::name)).toList();
        return new Environment(fingerprint(image, python, sorted), image, pulledImage, python, sorted.size(), sorted, truncated,
                false, null, null);
    }

    /**
     * 16 hex digits of SHA-256 over the image, Python's version and one {@code name==version=build}
     * line per package in name order: the same environment always gets the same name.
     */
    static String fingerprint(String image, String python, List<Package> sorted) {
        StringBuilder b = new StringBuilder();
        b.append("image ").append(image == null ? "" : image).append('\n');
        b.append("python ").append(python == null ? "" : python).append('\n');
        for (Package p : sorted) {
            b.append(p.name()).append("==").append(p.release()).append('\n');
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(b.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    public Environment compared(EnvironmentDiff fromPrevious, SinceLastPass since) {
        boolean isChanged = fromPrevious != null && !fromPrevious.empty();
        return new Environment(fingerprint, image, pulledImage, python, packageCount, packages, truncated, isChanged,
                isChanged ? fromPrevious : null, since);
    }

    /** The same environment without its package list, as the history keeps it per run. */
    public Environment summary() {
        return new Environment(fingerprint, image, pulledImage, python, packageCount, List.of(), truncated, changed, diff,
                sinceLastPass);
    }

    /** The environment of a stored fingerprint with its list, for comparing against a new one. */
    public static Environment stored(String fingerprint, String image, String python, List<Package> packages, boolean truncated) {
        return new Environment(fingerprint, image, null, python, packages.size(), packages, truncated, false, null, null);
    }
}
