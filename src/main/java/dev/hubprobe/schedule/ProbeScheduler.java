package dev.hubprobe.schedule;

import dev.hubprobe.probe.ProbeRunner;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.probe.RunSink;
import dev.hubprobe.service.ScheduledProbe;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
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
 * Runs every configured (hub, probe) on its interval with Quartz: one job each, never two runs of the
 * same job at once, start times spread over the interval so hubs are not hit in lockstep, and missed
 * runs skipped and counted rather than bunched up. A slow hub only holds its own job's thread.
 */
public final class ProbeScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProbeScheduler.class);
    private static final String GROUP = "probes";

    private final Scheduler quartz;
    private final ProbeExecutor runner;
    private final List<RunSink> sinks;
    private final MeterRegistry registry;
    private final Map<String, ScheduledProbe> jobs = new ConcurrentHashMap<>();
    private final Map<String, ReentrantLock> serverLocks = new ConcurrentHashMap<>();
    /** Runs in progress (scheduled or "run now"), so shutdown can ask them to abort. */
    private final Map<String, ProbeRunner.Abort> running = new ConcurrentHashMap<>();
    private final Timer lateness;

    /**
     * @param runner runs one probe now (the real runner, or a fake one in benchmarks)
     * @param sinks  every result goes to each of these, in order; one failing does not stop the others
     */
    public ProbeScheduler(int threads, ProbeExecutor runner, List<RunSink> sinks,
                          MeterRegistry registry) {
        this.runner = runner;
        this.sinks = List.copyOf(sinks);
        this.registry = registry;
        this.lateness = Timer.builder("hubprobe.schedule.lateness").description("how late runs start against their schedule")
                // exported as a histogram; the percentiles are for in-process readers (the benchmark)
                .publishPercentiles(0.5, 0.99).serviceLevelObjectives(Duration.ofMillis(10), Duration.ofMillis(50),
                        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
                        Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30))
                .register(registry);
        Properties p = new Properties();
        p.setProperty("org.quartz.scheduler.instanceName", "hubprobe-" + UUID.randomUUID());
        p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
        p.setProperty("org.quartz.threadPool.threadCount", Integer.toString(threads));
        p.setProperty("org.quartz.threadPool.threadNamePrefix", "hubprobe-probe");
        p.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
        p.setProperty("org.quartz.jobStore.misfireThreshold", "10000");
        try {
            quartz = new StdSchedulerFactory(p).getScheduler();
            quartz.setJobFactory((bundle, scheduler) -> new ProbeJob());
            quartz.getContext().put(ProbeScheduler.class.getName(), this);
            quartz.getListenerManager().addTriggerListener(new MisfireCounter());
        } catch (SchedulerException e) {
            throw new IllegalStateException("cannot create the scheduler: " + e.getMessage(), e);
        }
    }

    public void start() {
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
    public synchronized void schedule(List<ScheduledProbe> probes, Duration maxJitter) {
        try {
            Map<String, ScheduledProbe> wanted = new java.util.LinkedHashMap<>();
            probes.forEach(p -> wanted.put(p.key(), p));
            for (String key : List.copyOf(jobs.keySet())) {
                if (!wanted.containsKey(key) || !wanted.get(key).equals(jobs.get(key))) {
                    quartz.deleteJob(JobKey.jobKey(key, GROUP));
                    jobs.remove(key);
                }
            }
            for (ScheduledProbe p : wanted.values()) {
                if (jobs.containsKey(p.key())) {
                    continue;
                }
                jobs.put(p.key(), p);
                JobDetail job = JobBuilder.newJob(ProbeJob.class).withIdentity(p.key(), GROUP).build();
                long interval = p.interval().toMillis();
                long jitterSpan = maxJitter == null ? interval : Math.min(interval, maxJitter.toMillis());
                long offset = startOffset(p.key(), jitterSpan);
                Trigger trigger = TriggerBuilder.newTrigger().withIdentity(p.key(), GROUP)
                        .startAt(new Date(System.currentTimeMillis() + offset))
                        .withSchedule(SimpleScheduleBuilder.simpleSchedule().withIntervalInMilliseconds(interval)
                                .repeatForever().withMisfireHandlingInstructionNextWithRemainingCount())
                        .build();
                quartz.scheduleJob(job, trigger);
            }
        } catch (SchedulerException e) {
            throw new IllegalStateException("cannot schedule probes: " + e.getMessage(), e);
        }
    }

    /**
     * When a job first runs, in ms from scheduling: spread over {@code spanMillis}, and stable per job,
     * so restarts keep hubs spread the same way.
     */
    public static long startOffset(String key, long spanMillis) {
        return Math.floorMod(key.hashCode() * 2654435761L, Math.max(1, spanMillis));
    }

    public Optional<ScheduledProbe> job(String hub, String probe) {
        return Optional.ofNullable(jobs.get(hub + "/" + probe));
    }

    /** Runs a probe now, outside its schedule, and hands the result to the sinks ("run now" from CI). */
    public RunResult runNow(ScheduledProbe probe) {
        return execute(probe);
    }

    RunResult execute(ScheduledProbe probe) {
        ProbeRunner.Abort abort = new ProbeRunner.Abort();
        String id = probe.key() + "#" + UUID.randomUUID();
        // Two probes of one hub that share a user's server must take turns: the second would otherwise
        // find the first's server and stop it as a leftover. Per-run named servers need no turn.
        ReentrantLock turn = probe.probe().autoServerName() ? null
                : serverLocks.computeIfAbsent(probe.serverKey(), k -> new ReentrantLock(true));
        RunResult result;
        if (turn != null) {
            turn.lock();
        }
        running.put(id, abort);
        try {
            result = runner.run(probe, abort);
        } finally {
            running.remove(id);
            if (turn != null) {
                turn.unlock();
            }
        }
        for (RunSink sink : sinks) {
            try {
                sink.accept(result);
            } catch (RuntimeException e) {
                LOG.error("a result sink failed for {}: {}", probe.key(), e.toString());
            }
        }
        return result;
    }

    /**
     * Stops scheduling, asks running probes to abort (they still clean up on the hub), and waits for them
     * at most {@code grace}.
     */
    @Override
    public void close() {
        close(Duration.ofSeconds(60));
    }

    public void close(Duration grace) {
        try {
            quartz.standby();
            running.values().forEach(ProbeRunner.Abort::request);
            Thread waiter = new Thread(() -> {
                try {
                    quartz.shutdown(true);
                } catch (SchedulerException e) {
                    LOG.warn("scheduler shutdown: {}", e.getMessage());
                }
            }, "hubprobe-scheduler-shutdown");
            waiter.start();
            waiter.join(grace.toMillis());
            if (waiter.isAlive()) {
                LOG.warn("probes still running after {} s of shutdown; leaving them", grace.toSeconds());
            }
        } catch (SchedulerException e) {
            LOG.warn("scheduler shutdown: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One scheduled run. Quartz never runs two of the same job at once. */
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
            String key = context.getJobDetail().getKey().getName();
            ScheduledProbe probe = self.jobs.get(key);
            if (probe == null) {
                return; // removed by a reload while the trigger fired
            }
            Date planned = context.getScheduledFireTime();
            if (planned != null) {
                self.lateness.record(Math.max(0, System.currentTimeMillis() - planned.getTime()), TimeUnit.MILLISECONDS);
            }
            try {
                self.execute(probe);
            } catch (RuntimeException e) {
                LOG.error("probe {} could not run: {}", key, e.toString());
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
                Counter.builder("hubprobe.schedule.misfires").description("scheduled runs skipped because the previous one was still running or no thread was free")
                        .tags("hub", p.hub(), "probe", p.probe().name()).register(registry).increment();
            }
        }
    }
}
