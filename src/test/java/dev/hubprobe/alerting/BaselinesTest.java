package dev.hubprobe.alerting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.history.HistoryStore;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.ProbeKey;
import dev.hubprobe.probe.RunResult;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The baseline is the median over the configured window, all of it, whatever the number of runs. */
class BaselinesTest {
    @TempDir
    Path dir;
    private final Instant now = Instant.parse("2026-11-22T10:00:00Z");
    private final ProbeKey key = new ProbeKey("staging", "kernel-smoke");

    private RunResult run(Instant at, double spawnSeconds) {
        return new RunResult(UUID.randomUUID().toString(), key.hub(), key.probe(), "bot", at, Duration.ofSeconds(60),
                List.of(new PhaseResult(Phase.SPAWN, PhaseResult.Status.PASSED, Duration.ofMillis(Math.round(spawnSeconds * 1000)), null, null)),
                List.of(), null, null, null, null, Map.of(), List.of());
    }

    @Test
    void theWholeWindowCountsAndNothingBeforeIt() {
        AlertPolicy p = new AlertPolicy(2, 2, Duration.ofHours(4), "page", true, Duration.ofDays(3), 10, 3, 2.0,
                Duration.ofSeconds(30), 1.5, List.of());
        try (HistoryStore h = HistoryStore.open(dir.resolve("db"))) {
            // 3 days at one run a minute: over 4,000 runs. The first 2,600 spawned in 30 s, the rest in 10 s.
            // Over the whole window the median is 30 s; over the newest 2,000 alone (all the old code read
            // of a "30-day" window) it would be 10 s.
            Instant t = now.minus(Duration.ofDays(3)).plusSeconds(30);
            int slow = 0;
            int fast = 0;
            while (t.isBefore(now.minusSeconds(3 * 60))) {
                boolean early = slow < 2600;
                h.accept(run(t, early ? 30 : 10));
                if (early) {
                    slow++;
                } else {
                    fast++;
                }
                t = t.plusSeconds(60);
            }
            // runs before the window never count, however many
            for (int i = 0; i < 50; i++) {
                h.accept(run(now.minus(Duration.ofDays(4)).plusSeconds(i), 500));
            }
            for (int i = 3; i >= 1; i--) {
                h.accept(run(now.minusSeconds(60L * i - 1), 12));
            }
            Baselines b = new Baselines(h, Clock.fixed(now, ZoneOffset.UTC), Duration.ofMinutes(5));
            Baselines.Phase spawn = b.of(key, p).get("spawn");
            assertEquals(slow + fast, spawn.samples(), "every run in the window, before the recent ones");
            assertTrue(slow + fast > 2000, "more runs than the old cap: " + (slow + fast));
            assertEquals(30.0, spawn.baseline(), 1e-9, "the median of the whole window");
            assertEquals(12.0, spawn.current(), 1e-9, "the median of the newest three");
        }
    }

    /**
     * Baselines of many pairs computed together (every pair's first run after a start) are not all read again
     * together: each month's baseline is kept for a time drawn from 30 to 60 minutes, so the hourly reads spread.
     */
    @Test
    void monthBaselinesComputedTogetherAreReadAgainSpreadOverHalfAnHour() {
        AlertPolicy month = new AlertPolicy(2, 2, Duration.ofHours(4), "page", true, Duration.ofDays(30), 10, 3, 2.0,
                Duration.ofSeconds(30), 1.5, List.of());
        int pairs = 20;
        try (HistoryStore h = HistoryStore.open(dir.resolve("db-spread"))) {
            Instant t = now.minus(Duration.ofHours(5));
            for (int i = 0; i < 13; i++, t = t.plusSeconds(60)) {
                for (int k = 0; k < pairs; k++) {
                    h.accept(pairRun(k, t, i < 10 ? 10 : 12));
                }
            }
            dev.hubprobe.testhub.MovingClock clock = new dev.hubprobe.testhub.MovingClock(t);
            Baselines b = new Baselines(h, clock, Duration.ofMinutes(5));
            for (int k = 0; k < pairs; k++) {
                assertEquals(10.0, b.of(new ProbeKey("hub-" + k, key.probe()), month).get("spawn").baseline(), 1e-9);
            }
            // a slow spell, then three recent runs: a baseline read again now has a median of 40 s
            for (int i = 0; i < 23; i++, t = t.plusSeconds(60)) {
                for (int k = 0; k < pairs; k++) {
                    h.accept(pairRun(k, t, i < 20 ? 40 : 12));
                }
            }
            clock.advance(Duration.ofMinutes(29));
            int moved29 = moved(b, month, pairs);
            clock.advance(Duration.ofMinutes(16));
            int moved45 = moved(b, month, pairs);
            clock.advance(Duration.ofMinutes(16));
            int moved61 = moved(b, month, pairs);
            assertEquals(0, moved29, "none read again before half an hour");
            assertTrue(moved45 > 0 && moved45 < pairs, "some of them read again at 45 minutes, not all: " + moved45);
            assertEquals(pairs, moved61, "all read again after an hour");
        }
    }

    private int moved(Baselines b, AlertPolicy p, int pairs) {
        int n = 0;
        for (int k = 0; k < pairs; k++) {
            n += b.of(new ProbeKey("hub-" + k, key.probe()), p).get("spawn").baseline() > 10.0 ? 1 : 0;
        }
        return n;
    }

    private RunResult pairRun(int pair, Instant at, double spawnSeconds) {
        return new RunResult(UUID.randomUUID().toString(), "hub-" + pair, key.probe(), "bot", at, Duration.ofSeconds(60),
                List.of(new PhaseResult(Phase.SPAWN, PhaseResult.Status.PASSED, Duration.ofMillis(Math.round(spawnSeconds * 1000)), null, null)),
                List.of(), null, null, null, null, Map.of(), List.of());
    }

    @Test
    void aMonthsBaselineIsKeptForAnHourAndAShortWindowsForTheRefresh() {
        AlertPolicy month = new AlertPolicy(2, 2, Duration.ofHours(4), "page", true, Duration.ofDays(30), 10, 3, 2.0,
                Duration.ofSeconds(30), 1.5, List.of());
        AlertPolicy day = new AlertPolicy(2, 2, Duration.ofHours(4), "page", true, Duration.ofDays(1), 10, 3, 2.0,
                Duration.ofSeconds(30), 1.5, List.of());
        for (AlertPolicy p : List.of(month, day)) {
            try (HistoryStore h = HistoryStore.open(dir.resolve("db-" + p.window().toDays()))) {
                Instant t = now.minus(Duration.ofHours(20));
                for (int i = 0; i < 40; i++, t = t.plusSeconds(60)) {
                    h.accept(run(t, 10));
                }
                for (int i = 0; i < 3; i++, t = t.plusSeconds(60)) {
                    h.accept(run(t, 12));
                }
                dev.hubprobe.testhub.MovingClock clock = new dev.hubprobe.testhub.MovingClock(t);
                Baselines b = new Baselines(h, clock, Duration.ofMinutes(5));
                assertEquals(10.0, b.of(key, p).get("spawn").baseline(), 1e-9);
                // a slow spell now moves the median of what would be the baseline, were it read again
                for (int i = 0; i < 60; i++, t = t.plusSeconds(60)) {
                    h.accept(run(t, 40));
                }
                for (int i = 0; i < 3; i++, t = t.plusSeconds(60)) {
                    h.accept(run(t, 12));
                }
                clock.advance(Duration.ofMinutes(6));
                double after6 = b.of(key, p).get("spawn").baseline();
                clock.advance(Duration.ofMinutes(55));
                double after61 = b.of(key, p).get("spawn").baseline();
                if (p == month) {
                    // a 720th of 30 days: the month's median is kept for 30 to 60 minutes (drawn), then read again
                    assertEquals(10.0, after6, 1e-9, "a month's baseline read again within half an hour");
                    assertEquals(40.0, after61, 1e-9, "a month's baseline not read again after an hour");
                } else {
                    assertEquals(40.0, after6, 1e-9, "a day's baseline kept past the 5-minute refresh");
                }
            }
        }
    }

    /**
     * A reload that lengthens {@code alerts.regression.window} (a day to 30 days) is judged, and served to
     * {@code check --baseline-from}, by the new window at the next run: the baseline kept from the old window
     * was served for up to an hour (a 720th of the new one) beside {@code "window": "30d"}.
     */
    @Test
    void aReloadedWindowIsNotAnsweredWithTheOldWindowsBaseline() {
        AlertPolicy day = new AlertPolicy(2, 2, Duration.ofHours(4), "page", true, Duration.ofDays(1), 10, 3, 2.0,
                Duration.ofSeconds(30), 1.5, List.of());
        AlertPolicy month = new AlertPolicy(2, 2, Duration.ofHours(4), "page", true, Duration.ofDays(30), 10, 3, 2.0,
                Duration.ofSeconds(30), 1.5, List.of());
        try (HistoryStore h = HistoryStore.open(dir.resolve("db-reload"))) {
            Instant t = now.minus(Duration.ofDays(20));
            for (int i = 0; i < 60; i++, t = t.plusSeconds(60)) {
                h.accept(run(t, 40));
            }
            t = now.minus(Duration.ofHours(20));
            for (int i = 0; i < 40; i++, t = t.plusSeconds(60)) {
                h.accept(run(t, 10));
            }
            for (int i = 0; i < 3; i++, t = t.plusSeconds(60)) {
                h.accept(run(t, 12));
            }
            dev.hubprobe.testhub.MovingClock clock = new dev.hubprobe.testhub.MovingClock(t);
            Baselines b = new Baselines(h, clock, Duration.ofMinutes(5));
            Baselines.Phase before = b.of(key, day).get("spawn");
            assertEquals(40, before.samples(), "the last day's runs");
            assertEquals(10.0, before.baseline(), 1e-9);
            clock.advance(Duration.ofMinutes(1));
            Baselines.Phase after = b.of(key, month).get("spawn");
            assertEquals(100, after.samples(), "the month's runs, right after the reload");
            assertEquals(40.0, after.baseline(), 1e-9);
        }
    }
}

