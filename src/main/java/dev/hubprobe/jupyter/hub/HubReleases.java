package dev.hubprobe.jupyter.hub;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JupyterHub releases hubprobe's compatibility matrix tests (see the README's "Supported hubs"),
 * and versions made safe to keep: a version is what a hub says about itself, so it becomes a fact
 * or a label value only in a bounded shape.
 */
public final class HubReleases {
    /** Exactly the releases CompatibilityMatrixIT runs: a release is tested only if it is one of these. */
    public static final List<String> TESTED = List.of("4.1.6", "5.2.1", "5.5.4", "6.1.1");
    private static final int[] OLDEST = {4, 1};
    private static final int[] NEWEST = {6, 1};
    private static final Pattern MAJOR_MINOR = Pattern.compile("^(\\d{1,4})\\.(\\d{1,4})(?!\\d)");
    private static final Pattern MAJOR = Pattern.compile("^(\\d{1,4})(?!\\d)");
    private static final Pattern SAFE = Pattern.compile("[0-9A-Za-z.+-]{1,32}");

    private HubReleases() {
    }

    /** Whether a hub of this version is one the matrix runs. */
    public static boolean tested(String version) {
        return version != null && TESTED.contains(version); // List.of refuses contains(null)
    }

    /**
     * What a run says of a hub that is not a tested release, naming exactly what is: softer for a release
     * between two tested ones (the protocol changed little there, but nothing ran on it), plain for one
     * outside them or a version that is not one. Empty for a tested release.
     */
    public static Optional<String> note(String version) {
        if (tested(version)) {
            return Optional.empty();
        }
        String where = between(version) ? "is between tested releases" : "is outside the tested releases";
        return Optional.of("JupyterHub " + bounded(version) + " " + where + " (tested: " + String.join(", ", TESTED)
                + "): probed anyway");
    }

    /** Whether the version lies within the oldest and the newest tested minor releases (4.1.x to 6.1.x). */
    static boolean between(String version) {
        Matcher m = MAJOR_MINOR.matcher(version == null ? "" : version);
        if (!m.find()) {
            return false;
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        return compare(major, minor, OLDEST) >= 0 && compare(major, minor, NEWEST) <= 0;
    }

    private static int compare(int major, int minor, int[] to) {
        return major != to[0] ? Integer.compare(major, to[0]) : Integer.compare(minor, to[1]);
    }

    /**
     * Whether the hub stops a server whose spawn is still pending when asked (5.0 and later); before,
     * it answers 400 and the spawn runs on until it ends or the hub's own start_timeout ends it.
     */
    public static boolean cancelsPendingSpawns(String version) {
        int major = major(version);
        return major == 0 || major >= 5; // unknown: assume a current hub
    }

    /**
     * The major release, or 0 when the version does not start with one of at most four digits: a hub's
     * version is what the hub says, and a number too long to be one must not become an exception.
     */
    public static int major(String version) {
        Matcher m = MAJOR.matcher(version == null ? "" : version);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    /** The version as given if it looks like one (digits, letters, {@code . + -}, at most 32), else "unknown". */
    public static String bounded(String version) {
        return version != null && SAFE.matcher(version).matches() ? version : "unknown";
    }
}
