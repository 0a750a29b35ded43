package dev.hubprobe.jupyter.hub;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JupyterHub releases hubprobe's compatibility matrix tests (see the README's "Supported hubs"),
 * and versions made safe to keep: a version is what a hub says about itself, so it becomes a fact
 * or a label value only in a bounded shape.
 */
public final class HubReleases {
    /** The releases the matrix runs, as people say them. */
    public static final String TESTED_RANGE = "4.1 to 6.1";
    private static final int[] OLDEST = {4, 1};
    private static final int[] NEWEST = {6, 1};
    private static final Pattern MAJOR_MINOR = Pattern.compile("^(\\d{1,4})\\.(\\d{1,4})");
    private static final Pattern SAFE = Pattern.compile("[0-9A-Za-z.+-]{1,32}");

    private HubReleases() {
    }

    /** Whether a hub of this version is inside the tested range; a version that is not one is not. */
    public static boolean tested(String version) {
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
        Matcher m = MAJOR_MINOR.matcher(version == null ? "" : version);
        return !m.find() || Integer.parseInt(m.group(1)) >= 5; // unknown: assume a current hub
    }

    /** The version as given if it looks like one (digits, letters, {@code . + -}, at most 32), else "unknown". */
    public static String bounded(String version) {
        return version != null && SAFE.matcher(version).matches() ? version : "unknown";
    }
}
