package dev.hubprobe.jupyter.hub;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What a spawn's progress events say about where its time went and why it failed, read from the
 * Kubernetes events KubeSpawner forwards ({@code raw_event.reason}, never the message text).
 *
 * <p>Times between two cluster events come from the events' own timestamps (the microsecond
 * {@code eventTime}, else {@code lastTimestamp}/{@code firstTimestamp}); the cluster clock is anchored
 * at the arrival of the first event, so KubeSpawner's polling lag does not stretch the stages.
 * Boundaries on our side (the request, the ready event) use arrival times.
 *
 * @param queue       request to the first spawner event
 * @param scheduling  first spawner event to {@code Scheduled}
 * @param scaleUp     {@code TriggeredScaleUp} to {@code Scheduled}; null when no scale-up was seen
 * @param imagePull   {@code Pulling} to {@code Pulled}; zero when the image was already present
 * @param serverStart the last of Scheduled/Pulled to the server being ready
 */
public record SpawnAnatomy(Duration queue, Duration scheduling, Duration scaleUp, Duration imagePull,
                           Duration serverStart, boolean imageCached, Cause cause, String decisiveMessage) {

    /** A failure the events explain better than the spawner's own exception. */
    public enum Cause { IMAGE_PULL_FAILED, UNSCHEDULABLE, START_TIMEOUT }

    private static final Set<String> PULL_FAILURES = Set.of("ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName");

    public boolean scaleUpObserved() {
        return scaleUp != null;
    }

    /**
     * Reads the events of one spawn.
     *
     * @param requestNanos when the spawn was requested, on the events' arrival clock
     * @param readyNanos   when the ready event arrived, or null if the spawn did not finish
     * @param finalMessage the failed event's message, if the spawn failed
     * @return empty when the spawner sent no Kubernetes events (only the overall spawn is known)
     */
    public static Optional<SpawnAnatomy> of(long requestNanos, List<ProgressEvent> events, Long readyNanos,
                                            String finalMessage) {
        List<Point> points = new ArrayList<>();
        Instant anchorTs = null;
        long anchorArrival = 0;
        for (ProgressEvent e : events) {
            JsonNode raw = e.rawEvent();
            if (raw == null || !raw.hasNonNull("reason")) {
                continue;
            }
            Instant ts = timestamp(raw);
            if (anchorTs == null && ts != null) {
                anchorTs = ts;
                anchorArrival = e.receivedNanos();
            }
            long at = ts != null && anchorTs != null
                    ? anchorArrival + Duration.between(anchorTs, ts).toNanos() : e.receivedNanos();
            points.add(new Point(raw.get("reason").asText(), raw.path("message").asText(""), at));
        }
        if (points.isEmpty()) {
            return Optional.empty();
        }
        Point first = points.get(0);
        Point scheduled = last(points, "Scheduled");
        Point scaleUp = firstOf(points, "TriggeredScaleUp");
        Point pulling = firstOf(points, "Pulling");
        Point pulled = last(points, "Pulled");
        boolean cached = pulled != null && pulling == null;
        Duration pull = pulling != null && pulled != null ? between(pulling, pulled) : cached ? Duration.ZERO : null;
        Point beforeStart = pulled != null ? pulled : scheduled;
        return Optional.of(new SpawnAnatomy(
                Duration.ofNanos(Math.max(0, first.at - requestNanos)),
                scheduled == null ? null : between(first, scheduled),
                scaleUp != null && scheduled != null && scheduled.at >= scaleUp.at ? between(scaleUp, scheduled) : null,
                pull,
                readyNanos == null || beforeStart == null ? null : Duration.ofNanos(Math.max(0, readyNanos - beforeStart.at)),
                cached,
                cause(points, finalMessage),
                decisive(points, finalMessage)));
    }

    private static Cause cause(List<Point> points, String finalMessage) {
        if (points.stream().anyMatch(SpawnAnatomy::pullFailure)) {
            return Cause.IMAGE_PULL_FAILED;
        }
        if (firstOf(points, "NotTriggerScaleUp") != null && last(points, "Scheduled") == null) {
            return Cause.UNSCHEDULABLE;
        }
        if (finalMessage != null && finalMessage.contains("did not start in")) {
            return Cause.START_TIMEOUT;
        }
        return null;
    }

    private static String decisive(List<Point> points, String finalMessage) {
        Optional<Point> pull = points.stream().filter(SpawnAnatomy::pullFailure).findFirst();
        if (pull.isPresent()) {
            return pull.get().reason + ": " + pull.get().message;
        }
        Point notScaled = firstOf(points, "NotTriggerScaleUp");
        if (notScaled != null) {
            return notScaled.reason + ": " + notScaled.message;
        }
        return null;
    }

    /** Reasons first; "Failed"/"BackOff" are also used for crashing containers, so those need an image. */
    private static boolean pullFailure(Point p) {
        if (PULL_FAILURES.contains(p.reason)) {
            return true;
        }
        String m = p.message.toLowerCase(Locale.ROOT);
        return (p.reason.equals("Failed") && (m.contains("pull image") || m.contains("errimagepull")))
                || (p.reason.equals("BackOff") && m.contains("pulling image"));
    }

    private static Instant timestamp(JsonNode raw) {
        for (String field : new String[] {"eventTime", "lastTimestamp", "firstTimestamp"}) {
            JsonNode v = raw.get(field);
            if (v != null && v.isTextual() && !v.asText().isEmpty()) {
                try {
                    return Instant.parse(v.asText());
                } catch (DateTimeParseException ignored) {
                    // try the next field
                }
            }
        }
        return null;
    }

    private static Duration between(Point a, Point b) {
        return Duration.ofNanos(Math.max(0, b.at - a.at));
    }

    private static Point firstOf(List<Point> points, String reason) {
        return points.stream().filter(p -> p.reason.equals(reason)).findFirst().orElse(null);
    }

    private static Point last(List<Point> points, String reason) {
        Point hit = null;
        for (Point p : points) {
            if (p.reason.equals(reason)) {
                hit = p;
            }
        }
        return hit;
    }

    private record Point(String reason, String message, long at) {
    }
}
