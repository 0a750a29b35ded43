package dev.hubprobe.probe;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Per-run server names ({@code server: auto}) that say until when their run may hold the server:
 * {@code hubprobe-<until, epoch seconds in base 36>-<run id>}. Several runs may share a robot user
 * (two probes, a run-now, a CI check, another replica), so a run may only stop a {@code hubprobe-*}
 * server that is provably abandoned: its holder's whole time budget is over.
 */
public final class AutoServer {
    public static final String PREFIX = "hubprobe-";
    /** Clocks of different machines running probes on one hub may disagree a little. */
    static final Duration SKEW = Duration.ofMinutes(1);
    private static final Pattern STAMPED = Pattern.compile("hubprobe-([0-9a-z]{1,12})-[0-9a-f]{8}");
    /** Names from before the stamp: no time in them, so the hub's own start time decides. */
    private static final Pattern LEGACY = Pattern.compile("hubprobe-[0-9a-f]{8}");

    private AutoServer() {
    }

    /** The server name for a run that started at {@code start} and may take at most {@code budget}. */
    public static String name(String runId, Instant start, Duration budget) {
        long until = start.plus(budget).getEpochSecond();
        return PREFIX + Long.toString(until, 36) + "-" + runId.replace("-", "").substring(0, 8).toLowerCase(Locale.ROOT);
    }

    /** Until when the run that named the server may hold it; empty for names it did not make. */
    static Optional<Instant> heldUntil(String name) {
        Matcher m = STAMPED.matcher(name);
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.ofEpochSecond(Long.parseLong(m.group(1), 36)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether a server of the robot user was left by a run that is over: its stamp (plus clock skew) has
     * passed, or, for an unstamped name of an older hubprobe, the hub started it longer ago than
     * {@code longestRun}. Anything else may be a live run's, and is left alone.
     */
    public static boolean abandoned(String name, JsonNode serverModel, Instant now, Duration longestRun) {
        Optional<Instant> until = heldUntil(name);
        if (until.isPresent()) {
            return now.isAfter(until.get().plus(SKEW));
        }
        if (!LEGACY.matcher(name).matches()) {
            return false;
        }
        String started = serverModel == null ? null : serverModel.path("started").asText(null);
        try {
            return started != null && now.isAfter(Instant.parse(started).plus(longestRun).plus(SKEW));
        } catch (DateTimeParseException e) {
            return false;
        }
    }
}
