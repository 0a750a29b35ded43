package dev.hubprobe.probe;

import dev.hubprobe.config.Redactor;
import dev.hubprobe.jupyter.hub.HubClient;
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
    public final HubClient hub;
    public final ProbeClock clock;
    public final Redactor redactor;
    public final Map<String, String> facts = new LinkedHashMap<>();
    public final List<String> notes = new ArrayList<>();
    public final List<ProgressEvent> spawnEvents = new ArrayList<>();
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
    public String kernelId;
    public KernelChannel channel;

    public ProbeContext(String runId, ProbeTarget target, ProbeDefinition probe, HubClient hub, ProbeClock clock,
                        Redactor redactor) {
        this.runId = runId;
        this.target = target;
        this.probe = probe;
        this.hub = hub;
        this.clock = clock;
        this.redactor = redactor;
        this.serverName = probe.autoServerName() ? ProbeDefinition.AUTO_SERVER_PREFIX + runId.substring(0, 8)
                : probe.server() == null ? "" : probe.server();
    }

    /** The server this run uses: "" for the default one, a fresh name per run for {@code server: auto}. */
    public String serverName() {
        return serverName;
    }

    public long deadline(Duration budget) {
        return clock.nanoTime() + budget.toNanos();
    }

    public boolean formLogin() {
        return target.credentials() instanceof ProbeTarget.Password;
    }
}
