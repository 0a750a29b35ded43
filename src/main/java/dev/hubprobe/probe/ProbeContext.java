package dev.hubprobe.probe;

import dev.hubprobe.config.Redactor;
import dev.hubprobe.jupyter.Deadline;
import dev.hubprobe.jupyter.binder.BinderClient;
import dev.hubprobe.jupyter.hub.HubClient;
import dev.hubprobe.jupyter.hub.ProgressStream;
import okhttp3.OkHttpClient;
import dev.hubprobe.jupyter.hub.ProgressEvent;
import dev.hubprobe.jupyter.hub.SpawnAnatomy;
import dev.hubprobe.jupyter.kernel.KernelChannel;
import dev.hubprobe.jupyter.kernel.KernelClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import okhttp3.HttpUrl;

/**
 * The state of one run, passed from step to step: what has been started (so cleanup knows what to
 * stop) and what has been learned. Only the runner's thread touches it.
 */
public final class ProbeContext {
    public final String runId;
    public final ProbeTarget target;
    public final ProbeDefinition probe;
    /** The hub's client; null in a BinderHub run. */
    public final HubClient hub;
    /** The BinderHub's client; null in a hub run. */
    public final BinderClient binder;
    /** The current phase's deadline, obeyed by every call of the clients above and of the kernel client. */
    public final Deadline deadline;
    public final ProbeClock clock;
    public final Redactor redactor;
    public final Map<String, String> facts = new LinkedHashMap<>();
    public final List<String> notes = new ArrayList<>();
    /** The spawn's (or build's and launch's) progress events: the first and the last 200 of them. */
    public final ProgressLog spawnEvents = new ProgressLog();
    /** Each cell's output as it ran, for the run's page. */
    public final List<Transcript.Cell> cells = new ArrayList<>();
    /** What the cells reported by {@code hubprobe-measure:} lines, by name, the last report of a name kept. */
    public final Map<String, Measurement> measurements = new LinkedHashMap<>();
    private final String serverName;

    /** Hub version from {@code /hub/api/}; decides the spawn body shape. */
    public String hubVersion;
    /** The user the run acts as, once login settled it. */
    public String user;
    /** A token minted for {@link #user}, deleted at cleanup. */
    public HubClient.MintedToken mintedToken;
    /** Where the spawn's time went, when its spawner reports Kubernetes events. */
    public SpawnAnatomy spawnAnatomy;
    /** A spawn was requested: from here on, stop must run whatever happens. */
    public boolean serverRequested;
    public HttpUrl serverUrl;
    public KernelClient kernels;
    /**
     * How the kernel steps reach the user's server, authenticated as the run is (the browser session's
     * cookies, or the user's token) and guarded by the follow policy: the apps are fetched with it too.
     */
    public OkHttpClient serverClient;
    public String kernelId;
    public volatile KernelChannel channel;
    /** A cell was sent and its reply has not come (it timed out, or a stop cut it short): cleanup interrupts the kernel first. */
    public volatile boolean cellRunning;
    /** Set by a stop (shutdown, SIGTERM): a step that would retry or reopen gives up instead. */
    public volatile boolean aborted;

    /** A BinderHub build's event stream, open from the build to the launch (volatile: a stop reads it). */
    public volatile ProgressStream buildStream;
    /**
     * BinderHub said the image is there (built, or launching): from then on it launches a server for this
     * run even if the run stops listening, and hands it over only on this stream. Until the launch ends
     * (ready, failed, the stream over) the stream is kept, and a stop reads on to the server to stop it.
     */
    public volatile boolean launching;
    /** The build broken down by BinderHub's phases (waiting, fetching, building, pushing). */
    public final List<PhaseResult> buildPhases = new ArrayList<>();
    /** The launched Binder server was handed to us: from here on it must be shut down. */
    public boolean launched;
    /** How to reach the user's server when the run was given a token for it (a Binder launch). */
    public OkHttpClient serverHttp;
    /** A launch event the build step read before "built" came (a cached image needs no build). */
    public ProgressEvent pendingLaunch;

    /**
     * The run's one Chromium (probe key {@code ui:}), logged in as the run; null until ui_load starts it.
     * The runner closes it on every path. Other browser checks (an app's page) may use it while it is open.
     */
    public dev.hubprobe.browser.Chromium browser;
    /** The notebook the UI journey created on the server, deleted at cleanup whatever happened. */
    public String uiNotebook;
    /** Gives back the run's browser slot (ui.max_browsers) once its browser is closed; null: none held. */
    public Runnable browserSlot;
    /** A PNG of the page when a UI phase failed, stored with the run. */
    public byte[] screenshot;

    public ProbeContext(String runId, ProbeTarget target, ProbeDefinition probe, HubClient hub, BinderClient binder,
                        Deadline deadline, ProbeClock clock, Redactor redactor) {
        this.runId = runId;
        this.target = target;
        this.probe = probe;
        this.hub = hub;
        this.binder = binder;
        this.deadline = deadline;
        this.clock = clock;
        this.redactor = redactor;
        this.serverName = probe.autoServerName() ? AutoServer.name(runId, clock.now(), probe.budget())
                : probe.server() == null ? "" : probe.server();
    }

    /** The server this run uses: "" for the default one, a fresh name per run for {@code server: auto}. */
    public String serverName() {
        return serverName;
    }

    /** When the current phase must be done, on {@link #clock}'s nano time. */
    public long phaseDeadline() {
        return deadline.at();
    }

    /**
     * Starts a phase with this budget: the step's own waits and every call of the hub and kernel clients
     * end by then. The runner calls it before each step; a step may call it again for a part with a
     * budget of its own (stopping a leftover server takes the cleanup budget, not the login one).
     */
    public void startPhase(Duration budget) {
        deadline.set(clock.nanoTime() + budget.toNanos());
    }

    public boolean formLogin() {
        return target.credentials() instanceof ProbeTarget.Password;
    }
}
