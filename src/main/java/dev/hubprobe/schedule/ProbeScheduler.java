package dev.hubprobe.schedule;

import dev.hubprobe.probe.ProbeKey;
import dev.hubprobe.probe.ProbeRunner;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.probe.RunSink;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobExecutionContext;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.impl.StdSchedulerFactory;
import org.quartz.listeners.TriggerListenerSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs every configured (hub, probe) on its interval with Quartz: one job each, start times spread
 * over the interval so hubs are not hit in lockstep, and missed runs skipped and counted rather than
 * bunched up.
 *
 * <p>A run on a real hub takes minutes (a spawn, a kernel), so Quartz's threads only <em>dispatch</em>:
 * each run goes to a pool that grows to {@code maxRuns} threads and shrinks when idle, and a job whose
 * previous run is still going skips its turn (counted as a misfire) instead of running twice at once.
 */
public final class ProbeScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProbeScheduler.class);
    private static final String GROUP = "probes";

    private final Scheduler quartz;
    private final ProbeExecutor runner;
    private final List<RunSink> sinks;
    private final MeterRegistry registry;
    private final ThreadPoolExecutor runs;
    private final Map<String, ScheduledProbe> jobs = new ConcurrentHashMap<>();
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final ServerTurns turns;
    /** The clustered scheduler's name, the same on every replica. */
    static final String NAME = "hubprobe";
    /** Runs in progress (scheduled or "run now"), so shutdown can ask them to abort. */
    private final Map<String, ProbeRunner.Abort> running = new ConcurrentHashMap<>();
    /** Set by {@link #close}: a run that registers after it asked the running ones to abort waits for no turn either. */
    private volatile boolean closing;
    private final Timer lateness;
    /** With replicas: the schedule is Quartz's clustered JDBC store, and a job runs in the Quartz thread that fired it. */
    private final boolean clustered;

    /**
     * Replicas sharing one schedule: Quartz's clustered JDBC job store in this PostgreSQL database.
     *
     * @param instanceId this replica's name in the cluster, unique among them
     */
    public record Cluster(javax.sql.DataSource db, String instanceId) {
        /**
         * A new id for this start of a replica: the host and a random suffix. Never the process id: in a
         * container java is PID 1 on every start, so a replica restarted in place would pass for the run
         * that died (Quartz keeps its check-in row, and its server turns look live for their whole budget).
         */
        public static String newInstanceId() {
            String host;
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                host = "unknown";
            }
            return host + "-" + UUID.randomUUID().toString().substring(0, 8);
        }
    }

    /** What a {@link #schedule} call changed: a reload that changes nothing keeps every job's timing. */
    public record Changes(List<ProbeKey> added, List<ProbeKey> removed, int unchanged) {
        public boolean none() {
            return added.isEmpty() && removed.isEmpty();
        }
    }

    /**
     * @param maxRuns how many runs may be in progress at once (threads are made as needed)
     * @param runner  runs one probe now (the real runner, or a fake one in benchmarks)
     * @param sinks   every result goes to each of these, in order; one failing does not stop the others
     */
    public ProbeScheduler(int maxRuns, ProbeExecutor runner, List<RunSink> sinks, MeterRegistry registry) {
        this(maxRuns, runner, sinks, registry, null);
    }

    /**
     * @param cluster null for one process (an in-memory schedule); else the shared database. Each job
     *                then runs in the Quartz thread that fired it, so Quartz knows a run is in progress
     *                across the cluster (never twice at once) and gives a dead replica's run to another
     */
    public ProbeScheduler(int maxRuns, ProbeExecutor runner, List<RunSink> sinks, MeterRegistry registry, Cluster cluster) {
        this.clustered = cluster != null;
        this.turns = new ServerTurns(clustered ? cluster.db() : null, clustered ? cluster.instanceId() : null);
        this.runner = runner;
        this.sinks = List.copyOf(sinks);
        this.registry = registry;
        AtomicInteger n = new AtomicInteger();
        this.runs = new ThreadPoolExecutor(0, maxRuns, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "hubprobe-run-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.lateness = Timer.builder("hubprobe.schedule.lateness").description("how late runs start against their schedule")
                // exported as a histogram; the percentiles are for in-process readers (the benchmark)
                .publishPercentiles(0.5, 0.99).serviceLevelObjectives(Duration.ofMillis(10), Duration.ofMillis(50),
                        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
                        Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30))
                .register(registry);
        Properties p = new Properties();
        p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
        p.setProperty("org.quartz.jobStore.misfireThreshold", "10000");
        if (cluster == null) {
            p.setProperty("org.quartz.scheduler.instanceName", "hubprobe-" + UUID.randomUUID());
            p.setProperty("org.quartz.threadPool.threadCount", "2");
            p.setProperty("org.quartz.threadPool.threadNamePrefix", "hubprobe-dispatch");
            p.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
        } else {
            // every replica the same scheduler name, each its own instance id: that is what makes a cluster
            String source = "hubprobe-" + UUID.randomUUID();
            org.quartz.utils.DBConnectionManager.getInstance().addConnectionProvider(source, new org.quartz.utils.ConnectionProvider() {
                @Override
                public java.sql.Connection getConnection() throws java.sql.SQLException {
                    return cluster.db().getConnection();
                }

                @Override
                public void shutdown() {
                    // the history owns the pool
                }

                @Override
                public void initialize() {
                    // already open
                }
            });
            p.setProperty("org.quartz.scheduler.instanceName", NAME);
            p.setProperty("org.quartz.scheduler.instanceId", cluster.instanceId());
            p.setProperty("org.quartz.threadPool.threadCount", Integer.toString(maxRuns));
            p.setProperty("org.quartz.threadPool.threadNamePrefix", "hubprobe-run");
            p.setProperty("org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX");
            p.setProperty("org.quartz.jobStore.driverDelegateClass", "org.quartz.impl.jdbcjobstore.PostgreSQLDelegate");
            p.setProperty("org.quartz.jobStore.dataSource", source);
            p.setProperty("org.quartz.jobStore.tablePrefix", "QRTZ_");
            p.setProperty("org.quartz.jobStore.isClustered", "true");
            // a dead replica's jobs move to another within seconds, well inside one interval
            p.setProperty("org.quartz.jobStore.clusterCheckinInterval", "5000");
            p.setProperty("org.quartz.jobStore.acquireTriggersWithinLock", "true");
        }
        try {
            quartz = new StdSchedulerFactory(p).getScheduler();
            if (cluster != null) {
                // every replica's scheduler has the same name; out of the JVM-wide registry, several can share a
                // process (a benchmark of two replicas) without one factory handing back another's scheduler
                org.quartz.impl.SchedulerRepository.getInstance().remove(NAME);
            }
            quartz.setJobFactory((bundle, scheduler) -> new ProbeJob());
            quartz.getContext().put(ProbeScheduler.class.getName(), this);
            quartz.getListenerManager().addTriggerListener(new MisfireCounter());
        } catch (SchedulerException e) {
            throw new IllegalStateException("cannot create the scheduler: " + e.getMessage(), e);
        }
    }

    public void start() {
        if (clustered) {
            try {
                int n = turns.releaseStale();
                if (n > 0) {
                    LOG.info("gave up {} server turns of replicas that are gone", n);
                }
            } catch (RuntimeException e) {
                LOG.warn("cannot give up the server turns of replicas that are gone: {}", e.getMessage());
            }
        }
        try {
            quartz.start();
        } catch (SchedulerException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Replaces the schedule with this set of probes (a config reload). Jobs whose definition did not
     * change keep their timing; a run in progress finishes under the old definition.
     */
    public synchronized Changes schedule(List<ScheduledProbe> probes, Duration maxJitter) {
        List<ProbeKey> added = new java.util.ArrayList<>();
        List<ProbeKey> removed = new java.util.ArrayList<>();
        try {
            Map<String, ScheduledProbe> wanted = new LinkedHashMap<>();
            probes.forEach(p -> wanted.put(p.key().toString(), p));
            for (String key : List.copyOf(jobs.keySet())) {
                if (!wanted.containsKey(key) || !wanted.get(key).equals(jobs.get(key))) {
                    if (!clustered) {
                        quartz.deleteJob(JobKey.jobKey(key, GROUP));
                    }
                    removed.add(jobs.remove(key).key());
                }
            }
            for (Map.Entry<String, ScheduledProbe> e : wanted.entrySet()) {
                String key = e.getKey();
                ScheduledProbe p = e.getValue();
                if (jobs.containsKey(key)) {
                    continue;
                }
                jobs.put(key, p);
                added.add(p.key());
                if (!clustered) {
                    quartz.scheduleJob(job(key), trigger(key, p, maxJitter));
                }
            }
            if (clustered) {
                reconcile(wanted, maxJitter);
            }
        } catch (SchedulerException e) {
            throw new IllegalStateException("cannot schedule probes: " + e.getMessage(), e);
        }
        // a changed definition is removed and added again: count it once, as changed, in both lists
        return new Changes(List.copyOf(added), List.copyOf(removed), jobs.size() - added.size());
    }

    private JobDetail job(String key) {
        // requestRecovery: when the replica running it dies, another runs it again at once
        return JobBuilder.newJob(ProbeJob.class).withIdentity(key, GROUP).requestRecovery(clustered).build();
    }

    private static Trigger trigger(String key, ScheduledProbe p, Duration maxJitter) {
        long interval = p.interval().toMillis();
        long jitterSpan = maxJitter == null ? interval : Math.min(interval, maxJitter.toMillis());
        return TriggerBuilder.newTrigger().withIdentity(key, GROUP)
                .startAt(new Date(System.currentTimeMillis() + startOffset(key, jitterSpan)))
                .withSchedule(SimpleScheduleBuilder.simpleSchedule().withIntervalInMilliseconds(interval)
                        .repeatForever().withMisfireHandlingInstructionNextWithRemainingCount())
                .build();
    }

    /**
     * Makes the shared job set match this configuration, idempotently: a job whose trigger already has
     * the interval keeps its timing (another replica made it, or this one before a restart), a missing
     * or different one is written, and jobs no longer configured go. Quartz's database locks make each
     * write atomic, so replicas reloading the same file at once end with the same set.
     */
    private void reconcile(Map<String, ScheduledProbe> wanted, Duration maxJitter) throws SchedulerException {
        for (Map.Entry<String, ScheduledProbe> e : wanted.entrySet()) {
            Trigger existing = quartz.getTrigger(org.quartz.TriggerKey.triggerKey(e.getKey(), GROUP));
            boolean same = existing instanceof org.quartz.SimpleTrigger st && st.getRepeatInterval() == e.getValue().interval().toMillis();
            if (!same) {
                quartz.scheduleJob(job(e.getKey()), Set.of(trigger(e.getKey(), e.getValue(), maxJitter)), true);
            }
        }
        for (JobKey k : quartz.getJobKeys(org.quartz.impl.matchers.GroupMatcher.jobGroupEquals(GROUP))) {
            if (!wanted.containsKey(k.getName())) {
                quartz.deleteJob(k);
            }
        }
    }

    /**
     * When a job first runs, in ms from scheduling: spread over {@code spanMillis}, and stable per job,
     * so restarts keep hubs spread the same way.
     */
    public static long startOffset(String key, long spanMillis) {
        return Math.floorMod(key.hashCode() * 2654435761L, Math.max(1, spanMillis));
    }

    public Optional<ScheduledProbe> job(ProbeKey key) {
        return Optional.ofNullable(jobs.get(key.toString()));
    }

    /**
     * Runs a probe now, outside its schedule, on the run pool; the result goes to the sinks ("run now"
     * from CI).
     *
     * @throws RejectedExecutionException when {@code maxRuns} runs are already in progress
     */
    public CompletableFuture<RunResult> runNow(ScheduledProbe probe) {
        return CompletableFuture.supplyAsync(() -> executeOnce(probe), runs);
    }

    /** Dispatches a scheduled run, unless the job's previous run is still going or no thread is free. */
    private void dispatch(ScheduledProbe probe, String why) {
        String key = probe.key().toString();
        if (!inFlight.add(key)) {
            skipped(probe, "overlap");
            return;
        }
        try {
            runs.execute(() -> {
                try {
                    execute(probe);
                } catch (Skipped e) {
                    LOG.debug("{}", e.getMessage()); // said and counted where it was skipped
                } catch (RuntimeException e) {
                    LOG.error("probe {} could not run: {}", key, e.toString());
                } finally {
                    inFlight.remove(key);
                }
            });
        } catch (RejectedExecutionException e) {
            inFlight.remove(key);
            skipped(probe, why);
        }
    }

    private void skipped(ScheduledProbe p, String cause) {
        Counter.builder("hubprobe.schedule.misfires").description("scheduled runs skipped (reason): the previous run was still "
                        + "going (overlap), no run slot was free or the server's turn did not come within an interval (busy), or the"
                        + " scheduler fell behind (late); a UI run's UI phases skipped for want of a browser (no_browser)")
                .tags("hub", p.hub(), "probe", ProbeKey.probeOf(p.probe().name()), "profile", ProbeKey.profileOf(p.probe().name()), "reason", cause).register(registry).increment();
    }

    /**
     * Confirms failures at once: after a scheduled run fails (not one cut short by a stop), the probe runs
     * again after {@code pause}, once, and that confirming run goes to the sinks like any other (it counts
     * toward {@code fire_after}), so a real outage pages within one interval and a blip resolves itself.
     *
     * @param byHub whether a hub's failures are confirmed ({@code alerting.failure.confirm}); read at each failure, so reloads apply
     */
    public void confirmFailures(java.util.function.Predicate<String> byHub, Duration pause) {
        confirmFailures(byHub, hub -> pause);
    }

    /**
     * @param pauseByHub how long after the failed run its confirming run starts, per hub
     *                   ({@code alerting.failure.confirm_after}); read at each failure, so reloads apply
     */
    public void confirmFailures(java.util.function.Predicate<String> byHub, java.util.function.Function<String, Duration> pauseByHub) {
        this.confirm = byHub;
        this.confirmPause = pauseByHub;
    }

    private volatile java.util.function.Predicate<String> confirm = hub -> false;
    private volatile java.util.function.Function<String, Duration> confirmPause = hub -> dev.hubprobe.alerting.AlertPolicy.CONFIRM_AFTER;

    /**
     * A run on schedule: one run, and its confirming run when it failed.
     *
     * @throws Skipped when the run did not happen (its server stayed busy, or a stop came while it waited)
     */
    RunResult execute(ScheduledProbe probe) {
        return execute(probe, true);
    }

    /** "Run now": the caller waits for its one result, so no confirming run follows. */
    private RunResult executeOnce(ScheduledProbe probe) {
        return execute(probe, false);
    }

    private RunResult execute(ScheduledProbe probe, boolean confirmFailure) {
        ProbeRunner.Abort abort = new ProbeRunner.Abort();
        String id = probe.key() + "#" + UUID.randomUUID();
        // registered for the pause and the confirming run too, so a stop ends both at once
        running.put(id, abort);
        if (closing) {
            // close() sets closing before it aborts the runs it finds: one that registered just after that
            // was never aborted (a run of its own server takes no turn, so nothing else sees the stop)
            abort.request();
        }
        try {
            RunResult result = runOnce(probe, abort, false);
            if (confirmFailure && !result.passed() && !result.aborted() && configured(probe) && confirm.test(probe.hub())
                    && pause(abort, confirmPause.apply(probe.hub()))) {
                try {
                    result = runOnce(probe, abort, true);
                } catch (Skipped e) {
                    // the failure itself is recorded; a confirming run that could not start changes nothing
                    LOG.info("probe {}: no confirming run ({})", probe.key(), e.getMessage());
                }
            }
            return result;
        } finally {
            running.remove(id);
        }
    }

    /** Waits the confirming run's pause; false when a stop came meanwhile. */
    private boolean pause(ProbeRunner.Abort abort, Duration confirmPause) {
        long end = System.nanoTime() + confirmPause.toNanos();
        try {
            while (!abort.requested() && System.nanoTime() < end) {
                Thread.sleep(Math.max(1, Math.min(100, (end - System.nanoTime()) / 1_000_000)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return !abort.requested();
    }

    /** Whether the pair is still configured with this definition (a reload may have removed it mid-run). */
    private boolean configured(ScheduledProbe probe) {
        return probe.equals(jobs.get(probe.key().toString()));
    }

    private RunResult runOnce(ScheduledProbe probe, ProbeRunner.Abort abort, boolean confirming) {
        // Runs that share a user's server take turns (ServerTurns); per-run named servers and Binder
        // launches (a fresh user each) need none.
        boolean ownServer = probe.probe().autoServerName() || probe.target().binder() != null;
        Duration budget = probe.probe().budget();
        Duration patience = probe.interval().compareTo(budget) < 0 ? probe.interval() : budget;
        RunResult result;
        try {
            ServerTurns.Turn turn = ownServer ? () -> { } : turns.take(probe.serverKey(), budget, patience,
                    () -> closing || abort.requested());
            if (turn == null) {
                if (closing || abort.requested()) {
                    throw new Skipped("stopping: " + probe.key() + " did not start");
                }
                LOG.warn("probe {} skipped: its server's turn did not come in {} s (another run holds it)", probe.key(), patience.toSeconds());
                skipped(probe, "busy");
                throw new Skipped(probe.key() + " skipped: its server is busy with another run");
            }
            try {
                result = runner.run(probe, abort);
            } finally {
                try {
                    turn.close();
                } catch (RuntimeException e) {
                    // the run happened: its result counts. Its lease stays until this replica's next turn
                    // on the server takes it back, or its budget is over.
                    LOG.error("probe {}: cannot give up the server's turn: {}", probe.key(), e.getMessage());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Skipped("interrupted waiting for the server's turn: " + probe.key());
        }
        if (confirming) {
            result = result.asConfirming();
        }
        if (result.facts().containsKey(dev.hubprobe.probe.ProbeRunner.UI_SKIPPED_FACT)) {
            // its UI phases did not run: every ui.max_browsers slot stayed taken for 3 x timeouts.ui
            LOG.warn("probe {}: UI phases skipped, no browser was free (raise ui.max_browsers or spread the UI probes)", probe.key());
            skipped(probe, "no_browser");
        }
        // a pair a reload removed while it ran: its result goes to the history and nothing else (no alert
        // fires for ever, no series comes back to /metrics)
        boolean stillConfigured = jobs.containsKey(probe.key().toString());
        for (RunSink sink : sinks) {
            if (!stillConfigured && !sink.keepsResultsOfRemovedPairs()) {
                continue;
            }
            try {
                sink.accept(result);
            } catch (RuntimeException e) {
                LOG.error("a result sink failed for {}: {}", probe.key(), e.toString());
            }
        }
        return result;
    }

    /** A run that did not happen: its server's turn did not come in time, or a stop came first. */
    public static final class Skipped extends IllegalStateException {
        Skipped(String message) {
            super(message);
        }
    }

    /** Starts no more scheduled runs; runs in progress go on (a benchmark's window has ended). */
    public void pause() {
        try {
            quartz.standby();
        } catch (SchedulerException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs in progress now. */
    public int running() {
        return running.size();
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(60));
    }

    /**
     * Stops scheduling, asks running probes to abort (they still clean up on the hub), and waits for them
     * at most {@code grace}.
     */
    public void close(Duration grace) {
        closing = true;
        try {
            if (clustered) {
                quartz.standby(); // take no more triggers; the runs in Quartz's threads finish below
            } else {
                quartz.shutdown(false);
            }
        } catch (SchedulerException e) {
            LOG.warn("scheduler shutdown: {}", e.getMessage());
        }
        runs.shutdown();
        running.values().forEach(ProbeRunner.Abort::request);
        long deadline = System.nanoTime() + grace.toNanos();
        try {
            if (!runs.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("{} probes still cleaning up after {} s of shutdown; leaving them", running.size(), grace.toSeconds());
            }
            while (clustered && !running.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            if (clustered) {
                quartz.shutdown(false);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (SchedulerException e) {
            LOG.warn("scheduler shutdown: {}", e.getMessage());
        }
    }

    /** One scheduled firing: hands the run to the run pool and returns at once. */
    @DisallowConcurrentExecution
    public static final class ProbeJob implements Job {
        @Override
        public void execute(JobExecutionContext context) {
            ProbeScheduler self;
            try {
                self = (ProbeScheduler) context.getScheduler().getContext().get(ProbeScheduler.class.getName());
            } catch (SchedulerException e) {
                throw new IllegalStateException(e);
            }
            ScheduledProbe probe = self.jobs.get(context.getJobDetail().getKey().getName());
            if (probe == null) {
                return; // removed by a reload while the trigger fired
            }
            Date planned = context.getScheduledFireTime();
            if (planned != null && !context.isRecovering()) {
                self.lateness.record(Math.max(0, System.currentTimeMillis() - planned.getTime()), TimeUnit.MILLISECONDS);
            }
            if (self.clustered) {
                try {
                    self.execute(probe); // held by this thread, so the cluster sees the run in progress
                } catch (Skipped e) {
                    LOG.debug("{}", e.getMessage()); // said and counted where it was skipped
                }
            } else {
                self.dispatch(probe, "busy");
            }
        }
    }

    private final class MisfireCounter extends TriggerListenerSupport {
        @Override
        public String getName() {
            return "hubprobe-misfires";
        }

        @Override
        public void triggerMisfired(Trigger trigger) {
            ScheduledProbe p = jobs.get(trigger.getKey().getName());
            if (p != null) {
                skipped(p, "late");
            }
        }
    }
}
