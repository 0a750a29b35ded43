package dev.hubprobe.metrics;

import dev.hubprobe.probe.Phase;
import java.time.Duration;
import java.util.Arrays;

/**
 * Histogram buckets per phase, from what hubs show: an API call takes milliseconds, a spawn seconds
 * to minutes, a scale-up minutes. One bucket set for all (18 bounds) gave every (hub, probe) about
 * 200 series; seven or so bounds where each phase's values fall keep a pair near 110 (1,000 hubs:
 * about 110,000 series, not 200,000) and the quantiles as sharp where they matter. Each set has a
 * bound above the thresholds the shipped rules compare against (a spawn's p95 above 300 s needs 600).
 */
final class PhaseBuckets {
    private PhaseBuckets() {
    }

    static Duration[] of(Phase phase) {
        return seconds(switch (phase) {
            case HUB_API, BINDER_HEALTH, KERNEL_CONNECT -> new double[] {0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
            case LOGIN, KERNEL_SHUTDOWN, CLEANUP -> new double[] {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
            case EXECUTE -> new double[] {0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};
            case KERNEL_START -> new double[] {0.25, 0.5, 1, 2.5, 5, 10, 30};
            case STOP -> new double[] {0.5, 1, 2.5, 5, 10, 30, 60};
            case SPAWN, LAUNCH -> new double[] {2.5, 5, 10, 20, 30, 60, 120, 300, 600};
            case BUILD -> new double[] {5, 30, 60, 120, 300, 600, 1800};
            // the spawn's and the build's breakdowns: five bounds each, as a pair may have five of them
            case SPAWN_QUEUE -> new double[] {0.1, 0.5, 1, 5, 30};
            case SPAWN_SCHEDULING -> new double[] {0.5, 1, 5, 30, 120};
            case SPAWN_SCALE_UP -> SCALE_UP;
            case SPAWN_IMAGE_PULL -> new double[] {1, 5, 15, 60, 300};
            case SPAWN_SERVER_START -> new double[] {1, 2.5, 5, 15, 60};
            case BUILD_WAITING, BUILD_FETCHING, BUILD_BUILDING, BUILD_PUSHING -> new double[] {1, 10, 60, 300, 1200};
        });
    }

    private static final double[] SCALE_UP = {30, 60, 120, 300, 600};

    /** {@code hubprobe_scale_up_duration_seconds}: node scale-ups take minutes. */
    static Duration[] scaleUp() {
        return seconds(SCALE_UP);
    }

    private static Duration[] seconds(double[] s) {
        return Arrays.stream(s).mapToObj(v -> Duration.ofMillis(Math.round(v * 1000))).toArray(Duration[]::new);
    }
}
