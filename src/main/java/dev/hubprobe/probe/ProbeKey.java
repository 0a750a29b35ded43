package dev.hubprobe.probe;

import java.util.Objects;

/**
 * One (hub, probe) pair: the unit that is scheduled, stored, alerted on and shown. A probe run on one
 * KubeSpawner profile ({@code probes: [{probe: kernel-smoke, profile: gpu-small}]}) is a series of its
 * own, named {@code kernel-smoke@gpu-small} wherever series are keyed (history, alerts, API, pages);
 * metrics carry the two parts as the labels {@code probe} and {@code profile}. A probe without a
 * profile keeps its plain name, so its stored history and its series stay what they were.
 */
public record ProbeKey(String hub, String probe) {
    /** Between a probe's name and its profile's in a series name: in neither (both are [a-z0-9-]). */
    public static final String PROFILE_SEPARATOR = "@";

    /** The series name of {@code probe} on {@code profile} (null: none). */
    public static String series(String probe, String profile) {
        return profile == null ? probe : probe + PROFILE_SEPARATOR + profile;
    }

    /** The probe file's name of a series name: {@code kernel-smoke} for {@code kernel-smoke@gpu-small}. */
    public static String probeOf(String series) {
        int at = series.indexOf(PROFILE_SEPARATOR);
        return at < 0 ? series : series.substring(0, at);
    }

    /** The profile of a series name, "" for a probe run without one (the {@code profile} label's value then). */
    public static String profileOf(String series) {
        int at = series.indexOf(PROFILE_SEPARATOR);
        return at < 0 ? "" : series.substring(at + 1);
    }

    public String profile() {
        return profileOf(probe);
    }

    public ProbeKey {
        Objects.requireNonNull(hub, "hub");
        Objects.requireNonNull(probe, "probe");
    }

    public static ProbeKey of(RunResult r) {
        return new ProbeKey(r.hub(), r.probe());
    }

    /** {@code hub/probe}: the Quartz job name and the prefix of alert keys. */
    @Override
    public String toString() {
        return hub + "/" + probe;
    }
}
