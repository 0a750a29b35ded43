package dev.hubprobe.probe;

import dev.hubprobe.config.Redactor;
import dev.hubprobe.json.Json;
import dev.hubprobe.environment.Environment;
import dev.hubprobe.environment.EnvironmentCapture;
import dev.hubprobe.jupyter.hub.HubClient;
import dev.hubprobe.jupyter.hub.HubClientSettings;
import dev.hubprobe.jupyter.hub.ProgressEvent;
import dev.hubprobe.jupyter.hub.SpawnAnatomy;
import dev.hubprobe.jupyter.Deadline;
import dev.hubprobe.jupyter.binder.BinderClient;
import dev.hubprobe.probe.steps.AppStep;
import dev.hubprobe.probe.steps.BinderHealthStep;
import dev.hubprobe.probe.steps.BuildStep;
import dev.hubprobe.probe.steps.CleanupCellsStep;
import dev.hubprobe.probe.steps.EndpointCertificates;
import dev.hubprobe.probe.steps.ExecuteStep;
import dev.hubprobe.probe.steps.LaunchStep;
import dev.hubprobe.probe.steps.ServerShutdownStep;
import dev.hubprobe.probe.steps.HubApiStep;
import dev.hubprobe.probe.steps.KernelConnectStep;
import dev.hubprobe.probe.steps.KernelShutdownStep;
import dev.hubprobe.probe.steps.KernelStartStep;
import dev.hubprobe.probe.steps.LoginStep;
import dev.hubprobe.probe.steps.SpawnStep;
import dev.hubprobe.probe.steps.StopStep;
import dev.hubprobe.tls.TrustStores;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import okhttp3.HttpUrl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a probe against a hub or a BinderHub: the steps in order until one fails, then the cleanup
 * steps always, each timed on the monotonic clock within its phase's budget, into one {@link RunResult}.
 * A hub and a BinderHub differ in how a server comes to be (log in and spawn, or build and launch)
 * and how it goes; the kernel steps are the same.
 */
public final class ProbeRunner {
    private static final Logger LOG = LoggerFactory.getLogger(ProbeRunner.class);

    private static final List<ProbeStep> HUB_STEPS = List.of(new HubApiStep(), new LoginStep(), new SpawnStep(),
            new KernelStartStep(), new KernelConnectStep(), new ExecuteStep());
    private static final List<ProbeStep.Cleanup> HUB_CLEANUP = List.of(new CleanupCellsStep(), new KernelShutdownStep(),
            new StopStep());
    private static final List<ProbeStep> BINDER_STEPS = List.of(new BinderHealthStep(), new BuildStep(), new LaunchStep(),
            new KernelStartStep(), new KernelConnectStep(), new ExecuteStep());
    private static final List<ProbeStep.Cleanup> BINDER_CLEANUP = List.of(new CleanupCellsStep(), new KernelShutdownStep(),
            new ServerShutdownStep());
    /** The fact that says a failing UI run kept a screenshot of its page (the run page shows it). */
    public static final String SCREENSHOT_FACT = "ui.screenshot";
    /** The probe_user column's width. */
    private static final int MAX_USER = 255;
    /** The message column's width. */
    private static final int MAX_MESSAGE = 4000;
    private static final int MAX_FACT = 1000;
    private final ProbeClock clock;
    private final HubClientSettings settings;

    /** Chromiums at once over all runs of this runner (ui.max_browsers, load --browsers); null: no bound. */
    private final BrowserSlots browsers;

    public ProbeRunner(ProbeClock clock, HubClientSettings settings) {
        this(clock, settings, null);
    }

    private ProbeRunner(ProbeClock clock, HubClientSettings settings, BrowserSlots browsers) {
        this.clock = clock;
        this.settings = settings;
        this.browsers = browsers;
    }

    /** The same runner, its UI runs taking turns for at most {@code max} browsers at once. */
    public ProbeRunner withBrowsers(int max) {
        return new ProbeRunner(clock, settings, new BrowserSlots(max));
    }

    /**
     * Waits for a browser slot before the first UI phase: in no phase's budget (and the schedule's lateness
     * was measured when the run started), at most {@link ProbeDefinition#browserWait()}; the wait is
     * recorded as the fact {@code ui.browser_wait_seconds}. None free in time: the fact
     * {@link #UI_SKIPPED_FACT} says so, and the scheduler counts the skip.
     */
    private BrowserSlots.Outcome browserSlot(ProbeContext ctx, Abort abort) {
        if (browsers == null) {
            return BrowserSlots.Outcome.TAKEN;
        }
        long t0 = clock.nanoTime();
        BrowserSlots.Outcome got = browsers.take(ctx.probe.browserWait(), abort::requested);
        String waited = dev.hubprobe.json.Json.fixed3((clock.nanoTime() - t0) / 1e9);
        if (got == BrowserSlots.Outcome.TAKEN) {
            ctx.browserSlot = browsers::release;
            ctx.facts.put("ui.browser_wait_seconds", waited);
        } else if (got == BrowserSlots.Outcome.NONE_FREE) {
            ctx.facts.put(UI_SKIPPED_FACT, "no_browser");
            ctx.notes.add("the UI phases were skipped: no browser was free within " + ctx.probe.browserWait().toSeconds()
                    + " s (3 x timeouts.ui; all ui.max_browsers / load --browsers in use)");
        }
        return got;
    }

    private static boolean isUi(List<ProbeStep> steps, int i) {
        return i < steps.size() && steps.get(i).phase().name().startsWith("UI_");
    }

    /** The fact that says a run's UI phases were skipped for want of a browser (counted by the scheduler). */
    public static final String UI_SKIPPED_FACT = "ui.skipped";

    public RunResult run(ProbeTarget target, ProbeDefinition probe) {
        return run(target, probe, new Abort());
    }

    /** Runs the probe; {@code abort} lets another thread (a shutdown hook) end it early, cleanup included. */
    public RunResult run(ProbeTarget target, ProbeDefinition probe, Abort abort) {
        String runId = UUID.randomUUID().toString();
        // the run's token, and every configured secret: a hub may echo another hub's token or a webhook URL
        Redactor redactor = Redactor.forRun();
        if (target.credentials() != null) {
            redactor.add(target.credentials().secret());
        }
        Redactor.process().attach(redactor); // the token minted for this run is masked in every log line too
        try {
            return run(target, probe, abort, runId, redactor);
        } finally {
            Redactor.process().detach(redactor);
        }
    }

    private RunResult run(ProbeTarget target, ProbeDefinition probe, Abort abort, String runId, Redactor redactor) {
        HttpUrl url = HttpUrl.parse(target.url());
        if (url == null) {
            throw new IllegalArgumentException("not an http(s) URL");
        }
        long start = clock.nanoTime();
        java.time.Instant startedAt = clock.now();
        HubClientSettings hubSettings = target.tls().caFile() == null ? settings
                : settings.withTrust(TrustStores.with(target.tls().caFile()));
        boolean isBinder = target.binder() != null;
        // the UI steps (and the browser package) are loaded only by a run that asks for them
        List<ProbeStep> steps = new ArrayList<>(isBinder ? BINDER_STEPS
                : probe.ui() == null ? HUB_STEPS : dev.hubprobe.probe.steps.UiCleanup.after(HUB_STEPS, probe.ui().app()));
        // after the cells (and the UI journey): the kernel path is the probe's main measure, and a broken app
        // beside it (one of the probe's apps:) must not leave that path unmeasured
        steps.addAll(AppStep.of(probe));
        // a probe without cleanup cells shows no cleanup phase at all, as before there were any
        List<ProbeStep.Cleanup> cleanup = (isBinder ? BINDER_CLEANUP : HUB_CLEANUP).stream()
                .filter(s -> !(s instanceof CleanupCellsStep) || !probe.cleanup().isEmpty()).toList();
        Deadline deadline = new Deadline(clock::nanoTime);
        try (HubClient hub = isBinder ? null : HubClient.create(url, hubSettings, deadline);
             BinderClient binder = isBinder ? BinderClient.create(url, hubSettings, deadline) : null) {
            ProbeContext ctx = new ProbeContext(runId, target, probe, hub, binder, deadline, clock, redactor);
            try {
                return run(ctx, target, probe, abort, runId, redactor, start, startedAt, steps, cleanup, isBinder);
            } finally {
                if (ctx.browser != null || ctx.uiNotebook != null || ctx.browserSlot != null) {
                    // a step or sink that threw past the loop below: the browser still ends, the notebook still goes
                    dev.hubprobe.probe.steps.UiCleanup.close(ctx, null, probe.timeouts().cleanup());
                }
            }
        }
    }

    private RunResult run(ProbeContext ctx, ProbeTarget target, ProbeDefinition probe, Abort abort, String runId, Redactor redactor,
                          long start, java.time.Instant startedAt, List<ProbeStep> steps, List<ProbeStep.Cleanup> cleanup,
                          boolean isBinder) {
        List<PhaseResult> phases = new ArrayList<>();
        ProbeFailure failure = null;
        Phase failedPhase = null;
        HubClient hub = ctx.hub;
        BinderClient binder = ctx.binder;
        {
            // the listed endpoints beside the run, not in a phase: one that hangs never spends the hub's budget
            EndpointCertificates endpoints = EndpointCertificates.start(target, probe.timeouts().tls(), clock);
            Runnable cancelCalls = isBinder ? () -> stopBinderCalls(ctx) : hub::cancelAll;
            abort.attach(() -> {
                ctx.aborted = true;
                cancelCalls.run();
                // a kernel's replies come over its websocket, which no HTTP cancel reaches
                dev.hubprobe.jupyter.kernel.KernelChannel channel = ctx.channel;
                if (channel != null) {
                    channel.close();
                }
            }, () -> {
                // a UI step waits on the page, which no HTTP cancel reaches: ending the browser ends the wait.
                // Seconds of a kill, which cleanup (it closes the browser itself, idempotently) need not wait for
                dev.hubprobe.browser.Chromium browser = ctx.browser;
                if (browser != null) {
                    browser.close();
                }
            });
            for (ProbeStep step : steps) {
                if (failure != null) {
                    phases.add(PhaseResult.skipped(step));
                    continue;
                }
                if (step.phase() == Phase.UI_LOAD && ctx.browserSlot == null && !abort.requested()
                        && browserSlot(ctx, abort) == BrowserSlots.Outcome.STOPPED && !abort.requested()) {
                    abort.request(); // interrupted: end as a stop does
                }
                if (ctx.facts.containsKey(UI_SKIPPED_FACT) && step.phase().name().startsWith("UI_")) {
                    phases.add(PhaseResult.skipped(step.phase())); // our own want of a browser, not the hub's fault
                    continue;
                }
                if (abort.requested()) {
                    failure = new ProbeFailure(Reason.ABORTED, "the prober was asked to stop");
                    failedPhase = step.phase();
                    phases.add(failed(step, Duration.ZERO, failure, redactor));
                    continue;
                }
                PhaseResult r = time(step, ctx, redactor, abort);
                phases.add(r);
                if (r.status() == PhaseResult.Status.FAILED) {
                    failure = new ProbeFailure(r.reason(), r.message());
                    failedPhase = step.phase();
                } else if (step.phase().name().startsWith("UI_") && !isUi(steps, steps.indexOf(step) + 1)) {
                    dev.hubprobe.probe.steps.UiCleanup.journeyDone(ctx); // the browser is free for other runs
                }
            }
            Environment environment = captureEnvironment(ctx, failedPhase, failure, abort);
            if (ctx.browser != null || ctx.uiNotebook != null || ctx.browserSlot != null) {
                // before the kernel and server go: the failing page's screenshot, the notebook's file
                dev.hubprobe.probe.steps.UiCleanup.close(ctx, failedPhase, probe.timeouts().cleanup());
            }
            abort.detach(); // cleanup must run to the end even while the process is stopping
            for (ProbeStep.Cleanup step : cleanup) {
                if (!step.needed(ctx)) {
                    phases.add(PhaseResult.skipped(step));
                    continue;
                }
                PhaseResult r = time(step, ctx, redactor, null);
                phases.add(r);
                if (r.status() == PhaseResult.Status.FAILED && !step.failsRun()) {
                    ctx.notes.add(r.phase().label() + " failed (" + r.reason().label() + "): " + r.message());
                    continue;
                }
                if (r.status() == PhaseResult.Status.FAILED && failure == null) {
                    failure = new ProbeFailure(r.reason(), r.message());
                    failedPhase = step.phase();
                }
            }
            if (ctx.screenshot != null) {
                ctx.facts.put(SCREENSHOT_FACT, ctx.screenshot.length + " bytes");
            }
            Duration total = Duration.ofNanos(clock.nanoTime() - start);
            endpoints.into(ctx.facts, ctx.notes); // done long since, unless the run was shorter than timeouts.tls
            List<PhaseResult> detail = isBinder ? ctx.buildPhases : spawnPhases(ctx.spawnAnatomy);
            RunResult result = new RunResult(runId, target.hub(), probe.name(),
                    Json.cap(ctx.user != null ? ctx.user : target.user(), MAX_USER),
                    startedAt, total, phases, detail,
                    ctx.spawnAnatomy == null ? null : ctx.spawnAnatomy.scaleUpObserved(), failedPhase, failure == null ? null : failure.reason(),
                    failure == null ? null : Json.cap(redactor.redact(failure.getMessage()), MAX_MESSAGE), facts(ctx, redactor),
                    ctx.notes.stream().map(n -> Json.cap(redactor.redact(n), Transcript.MAX_TEXT)).toList(), environment,
                    transcript(ctx, start, redactor),
                    ctx.measurements.values().stream().map(m -> m.withHistogram(probe.histogram(m.name()))).toList(),
                    (String) null, ctx.screenshot);
            log(result);
            return result;
        }
    }

    /**
     * A stop's cancel for a Binder run: its calls, but not its build's event stream, whose reader is only
     * woken. Once BinderHub has said built it launches a server whether or not anyone listens, and hands
     * it over on that stream alone; the stop phase decides, from what came, to read on to that server and
     * shut it down, or to close the stream (a stream left during the build ends BinderHub's work too).
     */
    private static void stopBinderCalls(ProbeContext ctx) {
        ctx.binder.cancelCalls();
        dev.hubprobe.jupyter.hub.ProgressStream stream = ctx.buildStream;
        if (stream != null) {
            stream.interrupt();
        }
    }

    /**
     * Asks the kernel what its environment is, when the run reached a kernel that is idle: after the
     * cells, or after a cell that raised or printed the wrong thing (the failure a changed environment
     * explains best). A kernel still busy with a timed-out cell, or one that died, is left alone.
     */
    private Environment captureEnvironment(ProbeContext ctx, Phase failedPhase, ProbeFailure failure, Abort abort) {
        boolean idle = failure == null || failedPhase == Phase.APP && failure.reason() != Reason.ABORTED
                || failedPhase == Phase.EXECUTE
                && (failure.reason() == Reason.EXECUTE_ERROR || failure.reason() == Reason.OUTPUT_MISMATCH);
        if (!ctx.probe.captureEnvironment() || ctx.channel == null || !idle || abort.requested()) {
            return null;
        }
        long t0 = clock.nanoTime();
        ctx.startPhase(ctx.probe.timeouts().environment());
        Environment env = EnvironmentCapture.capture(ctx.channel, ctx.channel.language(), ctx.phaseDeadline(), ctx.spawnEvents,
                ctx.notes::add).orElse(null);
        ctx.facts.put("environment_capture_seconds", dev.hubprobe.json.Json.fixed3((clock.nanoTime() - t0) / 1e9));
        return env;
    }

    /**
     * The facts, each value capped: a hub names its version, a certificate its subject, an image
     * itself, and any of them may be as long as the sender likes (the keys are the prober's own); redacted first, so a cut never leaves part of a secret.
     */
    private static Map<String, String> facts(ProbeContext ctx, Redactor redactor) {
        Map<String, String> out = new LinkedHashMap<>();
        ctx.facts.forEach((k, v) -> out.put(k, Json.cap(redactor.redact(v), MAX_FACT)));
        return out;
    }

    /**
     * The progress events and cell outputs, cut and redacted (a cell may print what it should not): the
     * first and the last events the run kept, and between them one that says how many were left out.
     * Cut first, then redacted: a cell's output may be megabytes and only the stored cap is kept; the
     * redactor masks the start of a secret the cut went through (see {@link Redactor}).
     */
    private static Transcript transcript(ProbeContext ctx, long start, Redactor redactor) {
        List<Transcript.Event> events = new ArrayList<>();
        ProgressLog log = ctx.spawnEvents;
        for (int i = 0; i < log.size(); i++) {
            ProgressEvent e = log.get(i);
            double at = Math.max(0, e.receivedNanos() - start) / 1e9;
            if (i == ProgressLog.KEEP && log.leftOut() > 0) {
                events.add(new Transcript.Event(at, Json.CUT + " " + log.leftOut() + " progress events left out"));
            }
            events.add(new Transcript.Event(at, redactor.redact(Json.abbreviate(e.message(), 500))));
        }
        List<Transcript.Cell> cells = ctx.cells.stream().map(c -> new Transcript.Cell(redactor.redact(Transcript.cut(c.code())),
                redactor.redact(Transcript.cut(c.output())), redactor.redact(Transcript.cut(c.error())))).toList();
        return new Transcript(events, cells);
    }

    /** The spawn's breakdown as phases, only those its events let us measure. */
    static List<PhaseResult> spawnPhases(SpawnAnatomy a) {
        List<PhaseResult> out = new ArrayList<>();
        if (a == null) {
            return out;
        }
        java.util.function.BiConsumer<Phase, Duration> add = (p, d) -> {
            if (d != null) {
                out.add(new PhaseResult(p, PhaseResult.Status.PASSED, d, null, null));
            }
        };
        add.accept(Phase.SPAWN_QUEUE, a.queue());
        add.accept(Phase.SPAWN_SCHEDULING, a.scheduling());
        add.accept(Phase.SPAWN_SCALE_UP, a.scaleUp());
        add.accept(Phase.SPAWN_IMAGE_PULL, a.imagePull());
        add.accept(Phase.SPAWN_SERVER_START, a.serverStart());
        return out;
    }

    private PhaseResult time(ProbeStep step, ProbeContext ctx, Redactor redactor, Abort abort) {
        long t0 = clock.nanoTime();
        try {
            ctx.startPhase(step.budget(ctx.probe.timeouts()));
            step.run(ctx);
            return new PhaseResult(step.phase(), PhaseResult.Status.PASSED, Duration.ofNanos(clock.nanoTime() - t0), null, null,
                    step.app());
        } catch (RuntimeException e) {
            ProbeFailure f = abort != null && abort.requested()
                    ? new ProbeFailure(Reason.ABORTED, "the prober was asked to stop during " + label(step))
                    : Failures.classify(step.phase(), e);
            // the exception's own text may hold what the hub echoed (a token, a URL): only the redacted message
            LOG.debug("phase {} failed: {}: {}", label(step), e.getClass().getSimpleName(), redactor.redact(f.getMessage()));
            return failed(step, Duration.ofNanos(clock.nanoTime() - t0), f, redactor);
        }
    }

    private static String label(ProbeStep step) {
        return step.app() == null ? step.phase().label() : Phase.APP_PREFIX + step.app();
    }

    private static PhaseResult failed(ProbeStep step, Duration d, ProbeFailure f, Redactor redactor) {
        return new PhaseResult(step.phase(), PhaseResult.Status.FAILED, d, f.reason(), redactor.redact(f.getMessage()), step.app());
    }

    private static void log(RunResult r) {
        if (r.passed()) {
            LOG.info("probe {} on hub {} passed in {} ms", r.probe(), r.hub(), r.duration().toMillis());
        } else {
            LOG.warn("probe {} on hub {} failed in {}: {} ({})", r.probe(), r.hub(), r.failedPhaseLabel(),
                    r.reason().label(), r.message());
        }
    }

    /**
     * Lets another thread stop a run early: calls in flight are cancelled, the current step fails with
     * {@link Reason#ABORTED}, and cleanup then runs to the end.
     */
    public static final class Abort {
        private volatile boolean requested;
        private Runnable cancel;
        private Runnable afterCancel;

        public void request() {
            requested = true;
            Runnable after;
            synchronized (this) {
                if (cancel != null) {
                    cancel.run();
                }
                after = afterCancel;
            }
            if (after != null) {
                after.run();
            }
        }

        public boolean requested() {
            return requested;
        }

        /**
         * @param cancelCalls cancels every call in flight of the run's client, and whatever else cleanup must
         *                    not see happen once it has begun: {@link #detach} waits for it
         * @param thenAlso    the rest of a stop, which may take seconds and does not touch what cleanup uses
         */
        void attach(Runnable cancelCalls, Runnable thenAlso) {
            synchronized (this) {
                cancel = cancelCalls;
                afterCancel = thenAlso;
                if (!requested) {
                    return;
                }
                cancelCalls.run();
            }
            thenAlso.run();
        }

        /** Returns once a cancel under way is over: what cleanup starts after, no stop reaches any more. */
        synchronized void detach() {
            cancel = null;
            afterCancel = null;
        }
    }
}
