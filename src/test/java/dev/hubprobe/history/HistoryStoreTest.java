package dev.hubprobe.history;

import dev.hubprobe.probe.ProbeKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.Reason;
import dev.hubprobe.probe.RunResult;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs on H2 here, and on a real PostgreSQL in {@link HistoryStorePostgresIT}: one set of SQL for both. */
class HistoryStoreTest {
    @TempDir
    Path dir;

    /** The database under test; each call opens the same one again (for the tests that reopen it). */
    protected Database database() {
        return Database.h2(dir.resolve("db"));
    }

    private HistoryStore open() {
        return HistoryStore.open(database());
    }

    private static RunResult run(String hub, Instant at, boolean passed) {
        List<PhaseResult> phases = List.of(
                new PhaseResult(Phase.HUB_API, PhaseResult.Status.PASSED, Duration.ofMillis(12), null, null),
                passed ? new PhaseResult(Phase.SPAWN, PhaseResult.Status.PASSED, Duration.ofMillis(4500), null, null)
                        : new PhaseResult(Phase.SPAWN, PhaseResult.Status.FAILED, Duration.ofMillis(900), Reason.IMAGE_PULL_FAILED, "pull denied"));
        return new RunResult(UUID.randomUUID().toString(), hub, "kernel-smoke", "bot", at, Duration.ofMillis(6000), phases,
                List.of(new PhaseResult(Phase.SPAWN_IMAGE_PULL, PhaseResult.Status.PASSED, Duration.ofMillis(1500), null, null)),
                Boolean.TRUE, passed ? null : Phase.SPAWN, passed ? null : Reason.IMAGE_PULL_FAILED, passed ? null : "pull denied",
                Map.of("hub_version", "6.1.1"), List.of("a note"));
    }

    @Test
    void recordsSurviveReopeningAndRoundTripWhole() {
        Instant t = Instant.parse("2026-11-20T10:00:00Z");
        RunResult failed = run("a", t, false);
        try (HistoryStore h = open()) {
            h.accept(run("a", t.minusSeconds(60), true));
            h.accept(failed);
            h.accept(run("b", t, true));
        }
        try (HistoryStore h = open()) {
            RunResult back = h.run(failed.runId()).orElseThrow();
            assertEquals(failed, back);
            assertEquals(2, h.runs("a", null, null, 10).size());
            assertEquals(failed.runId(), h.runs("a", null, null, 1).get(0).runId(), "newest first");
            assertEquals(1, h.runs(null, null, t, 10).stream().filter(r -> r.hub().equals("a")).count());
            assertEquals(2, h.latest(List.of(new ProbeKey("a", "kernel-smoke"), new ProbeKey("b", "kernel-smoke"), new ProbeKey("c", "kernel-smoke"))).size(),
                    "one latest run per hub and probe that has run");
        }
    }

    @Test
    void appPhasesRoundTripUnderTheirOwnLabels() {
        Instant t = Instant.parse("2026-11-20T10:00:00Z");
        List<PhaseResult> phases = List.of(
                new PhaseResult(Phase.EXECUTE, PhaseResult.Status.PASSED, Duration.ofMillis(40), null, null),
                new PhaseResult(Phase.APP, PhaseResult.Status.PASSED, Duration.ofMillis(300), null, null, "hello"),
                new PhaseResult(Phase.APP, PhaseResult.Status.FAILED, Duration.ofMillis(900), Reason.APP_FAILED, "answered 502", "rstudio"),
                new PhaseResult(Phase.APP, PhaseResult.Status.SKIPPED, Duration.ZERO, null, null, "vs_code"));
        RunResult failed = new RunResult(UUID.randomUUID().toString(), "a", "apps", "bot", t, Duration.ofSeconds(9), phases, List.of(),
                null, Phase.APP, Reason.APP_FAILED, "answered 502", Map.of(), List.of());
        try (HistoryStore h = open()) {
            h.accept(failed);
        }
        try (HistoryStore h = open()) {
            RunResult back = h.run(failed.runId()).orElseThrow();
            assertEquals(failed, back);
            assertEquals(List.of("execute", "app_hello", "app_rstudio", "app_vs_code"), back.phases().stream().map(PhaseResult::label).toList());
            assertEquals("app_rstudio", back.failedPhaseLabel());
            // the board reads the latest runs without their phases: the stored label still names the app
            RunResult light = h.latest(List.of(new ProbeKey("a", "apps")), false).get(new ProbeKey("a", "apps"));
            assertEquals(List.of(), light.phases());
            assertEquals("app_rstudio", light.failedPhaseLabel());
        }
    }

    @Test
    void retentionDeletesOldRunsWithTheirPhases() {
        Instant now = Instant.parse("2026-11-22T00:00:00Z");
        try (HistoryStore h = open()) {
            h.accept(run("a", now.minus(Duration.ofDays(40)), true));
            h.accept(run("a", now.minus(Duration.ofDays(31)), false));
            RunResult keep = run("a", now.minus(Duration.ofDays(1)), true);
            h.accept(keep);
            assertEquals(2, h.deleteBefore(now.minus(Duration.ofDays(30))));
            assertEquals(List.of(keep.runId()), h.runs(null, null, null, 10).stream().map(RunResult::runId).toList());
            assertTrue(h.run(keep.runId()).orElseThrow().phases().size() == 2);
        }
    }

    private static RunResult measured(String hub, Instant at, dev.hubprobe.probe.Measurement... ms) {
        RunResult r = run(hub, at, true);
        return new RunResult(r.runId(), r.hub(), r.probe(), r.user(), r.startedAt(), r.duration(), r.phases(), r.spawnPhases(),
                r.scaleUpObserved(), null, null, null, r.facts(), r.notes(), null, null, List.of(ms));
    }

    @Test
    void measurementsAreStoredWithTheRunReadBackWholeAndDeletedWithItByRetention() throws Exception {
        Instant now = Instant.parse("2026-11-22T00:00:00Z");
        RunResult old = measured("a", now.minus(Duration.ofDays(40)), new dev.hubprobe.probe.Measurement("write_seconds", 0.125, "seconds", true));
        RunResult recent = measured("a", now.minus(Duration.ofDays(1)), new dev.hubprobe.probe.Measurement("write_seconds", 0.25, "seconds", true),
                new dev.hubprobe.probe.Measurement("home_free_bytes", 10737418240.0, "bytes"));
        RunResult none = run("a", now.minus(Duration.ofHours(1)), true);
        try (HistoryStore h = open()) {
            h.accept(old);
            h.accept(recent);
            h.accept(none);
            assertEquals(recent, h.run(recent.runId()).orElseThrow());
            assertEquals(recent.measurements(), h.runs("a", null, null, 10).get(1).measurements(), "in the lists too");
            assertEquals(List.of(), h.run(none.runId()).orElseThrow().measurements());
            assertEquals(1, h.deleteBefore(now.minus(Duration.ofDays(30))));
            assertTrue(h.run(old.runId()).isEmpty());
            try (java.sql.Connection c = h.dataSource().getConnection();
                 java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM runs WHERE measurements IS NOT NULL")) {
                rs.next();
                assertEquals(1, rs.getInt(1), "only the recent measured run's measurements are left");
            }
        }
    }

    @Test
    void aRunThatCannotBeWrittenIsCountedAndReportedNotOnlyLogged() throws Exception {
        try (HistoryStore h = open()) {
            h.accept(run("a", Instant.now(), true));
            assertTrue(h.lastWriteError().isEmpty());
            try (var c = h.dataSource().getConnection(); var st = c.createStatement()) {
                st.execute("ALTER TABLE runs RENAME TO runs_gone");
            }
            h.accept(run("a", Instant.now(), true));
            assertEquals(1, h.writeFailures());
            assertTrue(h.lastWriteError().orElseThrow().contains("could not record run"), h.lastWriteError()::toString);
            try (var c = h.dataSource().getConnection(); var st = c.createStatement()) {
                st.execute("ALTER TABLE runs_gone RENAME TO runs");
            }
            h.accept(run("a", Instant.now(), true));
            assertTrue(h.lastWriteError().isEmpty(), "a later write that succeeds clears the error");
            assertEquals(1, h.writeFailures());
        }
    }

    private static RunResult withEnv(RunResult r, String image, dev.hubprobe.environment.Package... packages) {
        return r.withEnvironment(dev.hubprobe.environment.Environment.captured(image, null, "3.12.7", List.of(packages), false));
    }

    private static dev.hubprobe.environment.Package pkg(String name, String version) {
        return new dev.hubprobe.environment.Package(name, version, null, null);
    }

    @Test
    void anEnvironmentIsStoredOncePerFingerprintAndEachRunComparedWithTheOneBefore() {
        Instant t = Instant.parse("2026-11-20T10:00:00Z");
        try (HistoryStore h = open()) {
            EnvironmentStore envs = h.environments();
            RunResult first = envs.compare(withEnv(run("a", t, true), "img:1", pkg("a", "1"), pkg("b", "2")));
            assertEquals(false, first.environment().changed(), "nothing to compare with yet");
            h.accept(first);
            RunResult same = envs.compare(withEnv(run("a", t.plusSeconds(60), true), "img:1", pkg("a", "1"), pkg("b", "2")));
            assertEquals(false, same.environment().changed());
            h.accept(same);
            h.accept(run("a", t.plusSeconds(90), false)); // no environment: the comparison skips it
            assertEquals(1, envs.seen("a", null, 10).size(), "the same environment is not stored twice");
            assertEquals(2, envs.seen("a", null, 10).get(0).runs());

            RunResult bumped = envs.compare(withEnv(run("a", t.plusSeconds(120), false), "img:2", pkg("a", "1.1"), pkg("c", "3")));
            var env = bumped.environment();
            assertTrue(env.changed());
            assertEquals(new dev.hubprobe.environment.EnvironmentDiff.ImageChange("img:1", "img:2"), env.diff().image());
            assertEquals(List.of(pkg("c", "3")), env.diff().added());
            assertEquals(List.of(pkg("b", "2")), env.diff().removed());
            assertEquals(same.runId(), env.sinceLastPass().runId(), "a failure is compared with the last passing run too");
            h.accept(bumped);

            RunResult back = h.run(bumped.runId()).orElseThrow();
            assertEquals(env.summary(), back.environment(), "the history keeps the comparison, and the list once per fingerprint");
            assertEquals(2, back.environment().packageCount());
            assertEquals(List.of("img:2", "img:1"), envs.seen("a", "kernel-smoke", 10).stream().map(EnvironmentStore.Seen::image).toList(),
                    "most recently seen first");
            assertEquals(List.of(pkg("a", "1.1"), pkg("c", "3")), envs.find("a", env.fingerprint()).orElseThrow().packages());
            assertTrue(envs.find("b", env.fingerprint()).isEmpty(), "hub b never saw it");

            // retention: an environment no run refers to any more goes with its last run
            h.deleteBefore(t.plusSeconds(100));
            assertEquals(List.of("img:2"), envs.seen("a", null, 10).stream().map(EnvironmentStore.Seen::image).toList());
            assertTrue(envs.find("a", first.environment().fingerprint()).isEmpty());
        }
    }

    @Test
    void theStatusPageQueriesAnswerFromTheRuns() {
        Instant now = Instant.now();
        try (HistoryStore h = open()) {
            for (int i = 0; i < 6; i++) {
                h.accept(run("a", now.minusSeconds(30L * i), i % 3 != 0));
            }
            h.accept(run("a", now.minus(Duration.ofDays(3)), false));
            PageQueries.Uptime up = h.pages().uptime(now.plusSeconds(1), null).get(new ProbeKey("a", "kernel-smoke"));
            assertEquals(6, up.runs()[0]);
            assertEquals(4, up.passed()[0]);
            assertEquals(7, up.runs()[1]);
            assertEquals(up.runs()[2], h.pages().uptime(now.plusSeconds(1), "a").get(new ProbeKey("a", "kernel-smoke")).runs()[2]);
            assertTrue(h.pages().uptime(now.plusSeconds(1), "b").isEmpty(), "only the hub asked for");
            PageQueries.Series s = h.pages().series("a", now.minus(Duration.ofHours(1)), Duration.ofMinutes(5), List.of("spawn", "spawn_image_pull"));
            assertTrue(s.buckets().size() >= 1 && s.buckets().size() <= 2, s::toString);
            assertEquals(List.of("total", "spawn", "spawn_image_pull"), List.copyOf(s.values().keySet()));
            assertEquals(4.5, s.values().get("spawn").stream().filter(java.util.Objects::nonNull).findFirst().orElseThrow(), 1e-9);
            assertEquals(2, h.pages().days("a", java.time.LocalDate.ofInstant(now.minus(Duration.ofDays(5)), java.time.ZoneOffset.UTC)).size());
        }
    }

    /** A run of a pair: passed, failed, or aborted by a stop (which counts for nothing). */
    private static RunResult result(String hub, String probe, Instant at, int kind) {
        RunResult r = run(hub, at, kind == 0);
        return kind < 2 ? new RunResult(r.runId(), hub, probe, r.user(), at, r.duration(), r.phases(), r.spawnPhases(), r.scaleUpObserved(),
                r.failedPhase(), r.reason(), r.message(), r.facts(), r.notes(), null, null)
                : new RunResult(r.runId(), hub, probe, r.user(), at, r.duration(), r.phases(), r.spawnPhases(), r.scaleUpObserved(),
                        Phase.EXECUTE, Reason.ABORTED, "stopped", r.facts(), r.notes(), null, null);
    }

    /** What the page showed before the rollup, computed over the runs themselves: runs and passes since each window's start. */
    private static Map<ProbeKey, List<Integer>> expectedUptime(List<RunResult> runs, Instant now) {
        Map<ProbeKey, List<Integer>> out = new java.util.TreeMap<>(java.util.Comparator.comparing(ProbeKey::toString));
        for (ProbeKey k : runs.stream().map(ProbeKey::of).distinct().toList()) {
            List<Integer> v = new java.util.ArrayList<>();
            for (Duration w : List.of(Duration.ofDays(1), Duration.ofDays(7), Duration.ofDays(30))) {
                List<RunResult> in = runs.stream().filter(r -> ProbeKey.of(r).equals(k) && !r.startedAt().isBefore(now.minus(w))
                        && r.reason() != Reason.ABORTED).toList();
                v.add(in.size());
                v.add((int) in.stream().filter(RunResult::passed).count());
            }
            if (v.get(4) > 0) {
                out.put(k, v);
            }
        }
        return out;
    }

    private static Map<ProbeKey, List<Integer>> uptime(HistoryStore h, Instant now) {
        Map<ProbeKey, List<Integer>> out = new java.util.TreeMap<>(java.util.Comparator.comparing(ProbeKey::toString));
        h.pages().uptime(now, null).forEach((k, u) -> out.put(k, List.of(u.runs()[0], u.passed()[0], u.runs()[1], u.passed()[1],
                u.runs()[2], u.passed()[2])));
        return out;
    }

    private static List<PageQueries.Day> expectedDays(List<RunResult> runs, String hub, java.time.LocalDate since) {
        Map<java.time.LocalDate, int[]> byDay = new java.util.TreeMap<>();
        for (RunResult r : runs) {
            java.time.LocalDate d = java.time.LocalDate.ofInstant(r.startedAt(), java.time.ZoneOffset.UTC);
            if (r.hub().equals(hub) && !d.isBefore(since) && r.reason() != Reason.ABORTED) {
                int[] n = byDay.computeIfAbsent(d, x -> new int[2]);
                n[0]++;
                n[1] += r.passed() ? 0 : 1;
            }
        }
        return byDay.entrySet().stream().map(e -> new PageQueries.Day(e.getKey(), e.getValue()[0], e.getValue()[1])).toList();
    }

    /** 35 days of two hubs with two probes each, every few hours at random, a tenth aborted. */
    private static List<RunResult> randomHistory(Instant now, long seed) {
        java.util.Random random = new java.util.Random(seed);
        List<RunResult> runs = new java.util.ArrayList<>();
        for (String hub : List.of("a", "b")) {
            for (String probe : List.of("kernel-smoke", "spawn-only")) {
                for (Instant t = now.minus(Duration.ofDays(35)); t.isBefore(now); t = t.plusSeconds(600 + random.nextInt(4 * 3600))) {
                    int roll = random.nextInt(10);
                    runs.add(result(hub, probe, t, roll < 6 ? 0 : roll < 9 ? 1 : 2));
                }
            }
        }
        return runs;
    }

    @Test
    void uptimeAndDayStripsFromTheRollupEqualTheAggregateOverTheRunsAbortedRunsAndRetentionIncluded() throws Exception {
        // a window start early in a UTC day and one late in it: the rollup's two ways of taking the first day
        for (Instant now : List.of(Instant.parse("2026-11-22T04:17:31Z"), Instant.parse("2026-11-22T19:43:05Z"))) {
            List<RunResult> runs = new java.util.ArrayList<>(randomHistory(now, now.getEpochSecond()));
            try (HistoryStore h = open()) {
                try (var c = h.dataSource().getConnection(); var st = c.createStatement()) {
                    st.execute("DELETE FROM runs");
                    st.execute("DELETE FROM run_days");
                }
                runs.forEach(h::accept);
                assertTrue(runs.stream().anyMatch(r -> r.reason() == Reason.ABORTED));
                assertEquals(expectedUptime(runs, now), uptime(h, now));
                java.time.LocalDate since = java.time.LocalDate.ofInstant(now, java.time.ZoneOffset.UTC).minusDays(89);
                assertEquals(expectedDays(runs, "a", since), h.pages().days("a", since));
                assertEquals(expectedDays(runs, "b", since), h.pages().days("b", since));
                // a little later, and a run landed meanwhile: the windows' starts moved over older runs
                Instant soon = now.plus(Duration.ofMinutes(47));
                RunResult landed = result("a", "kernel-smoke", now.plusSeconds(5), 1);
                h.accept(landed);
                runs.add(landed);
                assertEquals(expectedUptime(runs, soon), uptime(h, soon));
                assertEquals(expectedUptime(runs, soon.plusSeconds(90)), uptime(h, soon.plusSeconds(90)));
                for (String hub : List.of("a", "b")) {
                    Map<ProbeKey, List<Integer>> one = new java.util.TreeMap<>(java.util.Comparator.comparing(ProbeKey::toString));
                    expectedUptime(runs, soon).forEach((k, v) -> {
                        if (k.hub().equals(hub)) {
                            one.put(k, v);
                        }
                    });
                    Map<ProbeKey, List<Integer>> got = new java.util.TreeMap<>(java.util.Comparator.comparing(ProbeKey::toString));
                    h.pages().uptime(soon, hub).forEach((k, u) -> got.put(k, List.of(u.runs()[0], u.passed()[0], u.runs()[1], u.passed()[1],
                            u.runs()[2], u.passed()[2])));
                    assertEquals(one, got, "one hub's uptime (a badge)");
                }

                // retention in the middle of a day: that day keeps only the runs retention kept
                Instant cutoff = now.minus(Duration.ofDays(30)).plus(Duration.ofHours(3));
                int deleted = h.deleteBefore(cutoff);
                assertEquals(runs.stream().filter(r -> r.startedAt().isBefore(cutoff)).count(), deleted);
                runs.removeIf(r -> r.startedAt().isBefore(cutoff));
                assertEquals(expectedUptime(runs, now), uptime(h, now));
                assertEquals(expectedDays(runs, "a", since), h.pages().days("a", since));
                Instant later = now.plus(Duration.ofHours(9));
                assertEquals(expectedUptime(runs, later), uptime(h, later), "an hour later, the windows moved on");
                try (var c = h.dataSource().getConnection(); var st = c.createStatement();
                     var rs = st.executeQuery("SELECT COUNT(*) FROM run_days WHERE day_utc < DATE '"
                             + java.time.LocalDate.ofInstant(cutoff, java.time.ZoneOffset.UTC) + "'")) {
                    rs.next();
                    assertEquals(0, rs.getInt(1), "no day rows older than the retention");
                }
            }
        }
    }

    @Test
    void anUpgradeFillsTheRollupFromTheRunsAlreadyRecordedSoUptimeDoesNotReset() throws Exception {
        Instant now = Instant.now();
        List<RunResult> runs = randomHistory(now, 7);
        Database db = database();
        // the history as the release before the rollup left it: runs only
        org.flywaydb.core.Flyway.configure().dataSource(db.dataSource()).locations("classpath:db/migration").target("5").load().migrate();
        try (var c = db.dataSource().getConnection(); var ps = c.prepareStatement("INSERT INTO runs (id, hub, probe, started_at,"
                + " duration_seconds, passed, reason, facts, notes) VALUES (?, ?, ?, ?, 1.0, ?, ?, '{}', '[]')")) {
            for (RunResult r : runs) {
                ps.setString(1, r.runId());
                ps.setString(2, r.hub());
                ps.setString(3, r.probe());
                ps.setTimestamp(4, java.sql.Timestamp.from(r.startedAt()));
                ps.setBoolean(5, r.passed());
                ps.setString(6, r.reason() == null ? null : r.reason().label());
                ps.addBatch();
            }
            ps.executeBatch();
        }
        try (HistoryStore h = HistoryStore.open(db)) {
            assertEquals(expectedUptime(runs, now), uptime(h, now));
            java.time.LocalDate since = java.time.LocalDate.ofInstant(now, java.time.ZoneOffset.UTC).minusDays(89);
            assertEquals(expectedDays(runs, "b", since), h.pages().days("b", since));
        }
    }

    @Test
    void aStartRecountsTodayAndYesterdayFromTheRunsSoRunsOldReplicasRecordedWithoutTheRollupCount() throws Exception {
        Instant now = Instant.now();
        List<RunResult> runs = new java.util.ArrayList<>();
        List<RunResult> old = new java.util.ArrayList<>();
        try (HistoryStore h = open()) {
            try (var c = h.dataSource().getConnection(); var st = c.createStatement()) {
                st.execute("DELETE FROM runs");
                st.execute("DELETE FROM run_days");
            }
            for (int i = 0; i < 4; i++) {
                RunResult r = result("a", "kernel-smoke", now.minus(Duration.ofMinutes(10 + i)), i % 2);
                h.accept(r);
                runs.add(r);
            }
            // a replica of the release before (a rolling upgrade): runs written, the rollup not told
            for (int i = 0; i < 3; i++) {
                old.add(result("a", "kernel-smoke", now.minus(Duration.ofHours(20 + i)), 1));
            }
            old.add(result("c", "kernel-smoke", now.minus(Duration.ofMinutes(30)), 0));
            try (var c = h.dataSource().getConnection(); var ps = c.prepareStatement("INSERT INTO runs (id, hub, probe, started_at,"
                    + " duration_seconds, passed, reason, facts, notes) VALUES (?, ?, ?, ?, 1.0, ?, ?, '{}', '[]')")) {
                for (RunResult r : old) {
                    ps.setString(1, r.runId());
                    ps.setString(2, r.hub());
                    ps.setString(3, r.probe());
                    ps.setTimestamp(4, java.sql.Timestamp.from(r.startedAt()));
                    ps.setBoolean(5, r.passed());
                    ps.setString(6, r.reason() == null ? null : r.reason().label());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            runs.addAll(old);
        }
        try (HistoryStore h = open()) {
            assertEquals(expectedUptime(runs, now), uptime(h, now), "the next start heals the day rows the old replicas missed");
            java.time.LocalDate since = java.time.LocalDate.ofInstant(now, java.time.ZoneOffset.UTC).minusDays(89);
            assertEquals(expectedDays(runs, "a", since), h.pages().days("a", since));
            assertEquals(expectedDays(runs, "c", since), h.pages().days("c", since));
        }
    }

    @Test
    void twoReplicasRecordingOnePairAtOnceBothCount() throws Exception {
        Instant now = Instant.now();
        try (HistoryStore one = open(); HistoryStore two = open()) {
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
            List<RunResult> runs = new java.util.concurrent.CopyOnWriteArrayList<>();
            List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                HistoryStore replica = i % 2 == 0 ? one : two;
                int thread = i;
                done.add(pool.submit(() -> {
                    for (int k = 0; k < 25; k++) {
                        RunResult r = result("a", "kernel-smoke", now.minusMillis(thread * 100L + k), (thread + k) % 3);
                        replica.accept(r);
                        runs.add(r);
                    }
                }));
            }
            for (var f : done) {
                f.get();
            }
            pool.shutdown();
            assertEquals(0, one.writeFailures() + two.writeFailures());
            assertEquals(expectedUptime(runs, now), uptime(one, now));
            assertEquals(expectedUptime(runs, now), uptime(two, now));
        }
    }

    @Test
    void aRunCutShortByAStopIsKeptAsAbortedAndIsNotThePairsState() {
        try (HistoryStore h = open()) {
            Instant t0 = Instant.parse("2026-11-22T10:00:00Z");
            RunResult passed = run("alpha", t0, true);
            h.accept(passed);
            RunResult cut = new RunResult(UUID.randomUUID().toString(), "alpha", "kernel-smoke", "bot", t0.plusSeconds(60),
                    Duration.ofSeconds(3), List.of(new PhaseResult(Phase.SPAWN, PhaseResult.Status.FAILED, Duration.ofSeconds(2),
                    Reason.ABORTED, "the prober was asked to stop during the spawn")), List.of(), null, Phase.SPAWN, Reason.ABORTED,
                    "the prober was asked to stop during the spawn", Map.of(), List.of());
            h.accept(cut);
            // kept, and shown as aborted (the API's JSON of a run)
            RunResult back = h.run(cut.runId()).orElseThrow();
            assertEquals("aborted", dev.hubprobe.report.JsonReport.toJson(back).path("status").asText());
            assertEquals("passed", dev.hubprobe.report.JsonReport.toJson(passed).path("status").asText());
            assertEquals(2, h.runs("alpha", null, null, 10).size());
            // not the pair's state (status page, /api/v1/hubs, /metrics), and not among its failures
            ProbeKey k = new ProbeKey("alpha", "kernel-smoke");
            assertEquals(passed.runId(), h.latest(List.of(k)).get(k).runId());
            assertTrue(h.runs("alpha", null, null, false, 10).isEmpty(), "an aborted run listed as failed");
            // nor in the status page's days: one run that counts, none failed
            List<PageQueries.Day> days = h.pages().days("alpha", java.time.LocalDate.ofInstant(t0.minusSeconds(86400), java.time.ZoneOffset.UTC));
            assertEquals(1, days.size());
            assertEquals(1, days.get(0).runs());
            assertEquals(0, days.get(0).failed());
        }
    }

    /** A failing UI run's screenshot is stored with the run, read apart from it, and deleted with it by retention. */
    @Test
    void aUiRunsScreenshotIsKeptAsLongAsItsRun() {
        Instant t = Instant.parse("2026-11-20T10:00:00Z");
        RunResult plain = run("a", t, false);
        byte[] png = new byte[300_000];
        new java.util.Random(7).nextBytes(png);
        RunResult shot = new RunResult(plain.runId(), plain.hub(), plain.probe(), plain.user(), plain.startedAt(), plain.duration(),
                plain.phases(), plain.spawnPhases(), plain.scaleUpObserved(), plain.failedPhase(), plain.reason(), plain.message(),
                plain.facts(), plain.notes(), null, null, png);
        RunResult other = run("a", t.plusSeconds(3600), false);
        try (HistoryStore h = open()) {
            h.accept(shot);
            h.accept(other);
            org.junit.jupiter.api.Assertions.assertArrayEquals(png, h.screenshot(shot.runId()).orElseThrow());
            assertTrue(h.screenshot(other.runId()).isEmpty(), "a run without a screenshot has none");
            h.deleteBefore(t.plusSeconds(60));
            assertTrue(h.run(shot.runId()).isEmpty());
            assertTrue(h.screenshot(shot.runId()).isEmpty(), "the screenshot went with its run");
        }
    }

    /** A run of pair (hub, kernel-smoke) whose spawn took {@code spawnMillis}; a failed one fails its spawn. */
    private static RunResult timed(String hub, Instant at, long spawnMillis, boolean passed) {
        List<PhaseResult> phases = List.of(
                new PhaseResult(Phase.HUB_API, PhaseResult.Status.PASSED, Duration.ofMillis(12), null, null),
                new PhaseResult(Phase.SPAWN, passed ? PhaseResult.Status.PASSED : PhaseResult.Status.FAILED, Duration.ofMillis(spawnMillis),
                        passed ? null : Reason.SPAWN_TIMEOUT, passed ? null : "too slow"));
        return new RunResult(UUID.randomUUID().toString(), hub, "kernel-smoke", "bot", at, Duration.ofMillis(spawnMillis + 100), phases,
                List.of(new PhaseResult(Phase.SPAWN_IMAGE_PULL, PhaseResult.Status.PASSED, Duration.ofMillis(1500), null, null)),
                null, passed ? null : Phase.SPAWN, passed ? null : Reason.SPAWN_TIMEOUT, passed ? null : "too slow", Map.of(), List.of());
    }

    /**
     * The baseline's samples (V17) are the passing runs' passed phases, spawn sub-phases included, of the
     * pair, in the window's [from, until); the newest of a phase come newest first; retention takes a run's
     * samples with it.
     */
    @Test
    void theBaselineIsThePassingRunsPassedPhasesInItsWindowAndRetentionTakesThemWithTheRuns() {
        Instant t = Instant.parse("2026-11-20T10:00:00Z");
        ProbeKey key = new ProbeKey("a", "kernel-smoke");
        try (HistoryStore h = open()) {
            h.accept(timed("a", t.minusSeconds(60), 50_000, true)); // before the window
            h.accept(timed("a", t, 1000, true)); // at its start: in
            h.accept(timed("a", t.plusSeconds(60), 3000, true));
            h.accept(timed("a", t.plusSeconds(120), 8000, true));
            h.accept(timed("a", t.plusSeconds(180), 900, false)); // a failed run: none of its phases
            h.accept(timed("a", t.plusSeconds(240), 100_000, true)); // at the window's end: out
            h.accept(timed("b", t.plusSeconds(60), 1_000_000, true)); // another hub
            Map<String, HistoryStore.Median> m = h.phaseMedians(key, t, t.plusSeconds(240));
            assertEquals(java.util.Set.of("hub_api", "spawn", "spawn_image_pull"), m.keySet());
            assertEquals(3.0, m.get("spawn").seconds(), 1e-9);
            assertEquals(3, m.get("spawn").samples());
            assertEquals(0.012, m.get("hub_api").seconds(), 1e-9);
            assertEquals(3, m.get("hub_api").samples(), "the failed run's passed hub_api is not a sample");
            assertEquals(1.5, m.get("spawn_image_pull").seconds(), 1e-9);

            HistoryStore.Recent newest = h.recentPassingWithPhase(key, "spawn", t, 2);
            assertEquals(List.of(100.0, 8.0), newest.phases().get("spawn"));
            assertEquals(t.plusSeconds(120), newest.oldestStart());

            h.deleteBefore(t.plusSeconds(90));
            Map<String, HistoryStore.Median> left = h.phaseMedians(key, t.minusSeconds(3600), t.plusSeconds(3600));
            assertEquals(2, left.get("spawn").samples(), "the deleted runs' samples went with them");
            assertEquals(54.0, left.get("spawn").seconds(), 1e-9);
        }
    }

    /** A week's and a month's chart draw their phase lines from the samples (V17): the same averages as the day's join. */
    @Test
    void aWeeksChartHasThePassingRunsPhaseAveragesPerBucket() {
        Instant t = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.HOURS).minus(Duration.ofDays(3));
        try (HistoryStore h = open()) {
            h.accept(timed("a", t, 2000, true));
            h.accept(timed("a", t.plusSeconds(60), 4000, true));
            h.accept(timed("a", t.plusSeconds(120), 90_000, false)); // failed: not on the chart
            h.accept(timed("a", t.plus(Duration.ofDays(1)), 7000, true));
            h.accept(timed("b", t, 50_000, true));
            for (Duration bucket : List.of(Duration.ofMinutes(30), Duration.ofMinutes(5))) {
                PageQueries.Series s = h.pages().series("a", t.minus(Duration.ofDays(4)), bucket, List.of("spawn", "spawn_image_pull"));
                assertEquals(2, s.buckets().size(), bucket + ": " + s);
                assertEquals(List.of(3.0, 7.0), s.values().get("spawn"), bucket + ": " + s);
                assertEquals(List.of(1.5, 1.5), s.values().get("spawn_image_pull"), bucket + ": " + s);
            }
        }
    }
    /** Records the run as a replica of the release before V17 did: its run and phases, no baseline samples. */
    static void writtenByAnOlderReplica(HistoryStore h, RunResult r) {
        h.accept(r);
        try (java.sql.Connection c = h.dataSource().getConnection();
             java.sql.PreparedStatement ps = c.prepareStatement("DELETE FROM phase_samples WHERE run_id = ?")) {
            ps.setString(1, r.runId());
            ps.executeUpdate();
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A rolling upgrade on PostgreSQL: an older replica goes on writing runs without the samples (V17) while a
     * new one reads its baselines from them. The fill gives those runs their samples, once, and only the
     * passing runs' passed phases, as the run writer would have.
     */
    @Test
    void runsAnOlderReplicaWroteGetTheirBaselineSamplesOnce() {
        Instant t = Instant.parse("2026-11-20T10:00:00Z");
        ProbeKey key = new ProbeKey("a", "kernel-smoke");
        try (HistoryStore h = open()) {
            h.accept(timed("a", t, 1000, true));
            writtenByAnOlderReplica(h, timed("a", t.plusSeconds(60), 3000, true));
            writtenByAnOlderReplica(h, timed("a", t.plusSeconds(120), 5000, true));
            writtenByAnOlderReplica(h, timed("a", t.plusSeconds(180), 900, false));
            writtenByAnOlderReplica(h, timed("a", t.minus(Duration.ofDays(2)), 7000, true)); // before the fill's start
            assertEquals(1, h.phaseMedians(key, t, t.plusSeconds(3600)).get("spawn").samples(), "the older replica's runs have no samples yet");

            assertEquals(6, h.fillMissingSamples(t.minusSeconds(60)), "two passing runs' three passed phases each");
            assertEquals(0, h.fillMissingSamples(t.minusSeconds(60)), "nothing twice");
            Map<String, HistoryStore.Median> m = h.phaseMedians(key, t.minus(Duration.ofDays(3)), t.plusSeconds(3600));
            assertEquals(3, m.get("spawn").samples(), "the failed run's and the older run's not among them");
            assertEquals(3.0, m.get("spawn").seconds(), 1e-9);
            assertEquals(3, m.get("spawn_image_pull").samples());
            assertEquals(List.of(5.0, 3.0), h.recentPassingWithPhase(key, "spawn", t, 2).phases().get("spawn"));
        }
    }

    /**
     * The hub's runs read at every limit up to 120 (as {@code /api/v1/runs?limit=} is asked) use a few statement
     * texts for their phases, not one per limit: H2 keeps each connection's last 64 texts with their last
     * results, and one per limit filled every connection with result rows. Each answer still has each of its
     * runs once, whole.
     */
    @Test
    void readingRunsAtEveryLimitUsesFewStatementTexts() {
        Instant t = Instant.parse("2026-11-20T10:00:00Z");
        try (HistoryStore h = open()) {
            for (int i = 0; i < 120; i++) {
                h.accept(run("a", t.plusSeconds(60L * i), i % 3 != 0));
            }
        }
        java.util.Set<String> texts = java.util.concurrent.ConcurrentHashMap.newKeySet();
        try (HistoryStore h = HistoryStore.open(database().over(ds -> counting(ds, texts)))) {
            for (int limit = 1; limit <= 120; limit++) {
                List<RunResult> runs = h.runs("a", null, null, limit);
                assertEquals(limit, runs.size());
                assertEquals(limit, runs.stream().map(RunResult::runId).distinct().count());
                for (RunResult r : runs) {
                    assertEquals(2, r.phases().size(), r.runId());
                    assertEquals(1, r.spawnPhases().size(), r.runId());
                }
            }
        }
        long phaseTexts = texts.stream().filter(s -> s.contains("FROM run_phases WHERE run_id IN")).count();
        assertTrue(phaseTexts <= 8, phaseTexts + " statement texts for the runs' phases");
    }

    /** A pool whose connections note each statement text they prepare. */
    private static javax.sql.DataSource counting(javax.sql.DataSource ds, java.util.Set<String> texts) {
        return (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(HistoryStoreTest.class.getClassLoader(),
                new Class<?>[] {javax.sql.DataSource.class}, (p, m, a) -> {
                    Object out = invoke(ds, m, a);
                    if (!(out instanceof java.sql.Connection c)) {
                        return out;
                    }
                    return java.lang.reflect.Proxy.newProxyInstance(HistoryStoreTest.class.getClassLoader(),
                            new Class<?>[] {java.sql.Connection.class}, (p2, m2, a2) -> {
                                if (m2.getName().equals("prepareStatement")) {
                                    texts.add((String) a2[0]);
                                }
                                return invoke(c, m2, a2);
                            });
                });
    }

    private static Object invoke(Object target, java.lang.reflect.Method m, Object[] a) throws Throwable {
        try {
            return m.invoke(target, a);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
