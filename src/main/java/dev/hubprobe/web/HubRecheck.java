package dev.hubprobe.web;

import dev.hubprobe.service.LoadedConfig;
import dev.hubprobe.service.ServiceState;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the hub again, in the background, whether each operator signed in through it may still sign in
 * ({@link Sessions#recheck}): every quarter of {@code server.hub_oauth.recheck}, so a session is confirmed
 * at half its recheck and a removed operator is out within one. Not on the request's path: a slow hub
 * never slows a page, and a hub that does not answer for a whole recheck ends the sessions (fail closed).
 * Started by {@code serve} once its HTTP server runs (not eagerly: a context without the service's state,
 * as a test's router listing, has nothing to re-check), stopped with that context.
 */
@jakarta.inject.Singleton
public final class HubRecheck {
    private static final Logger LOG = LoggerFactory.getLogger(HubRecheck.class);
    private final ServiceState state;
    private final Sessions sessions;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "hubprobe-hub-recheck");
        t.setDaemon(true);
        return t;
    });

    @Inject
    public HubRecheck(ServiceState state, Sessions sessions) {
        this.state = state;
        this.sessions = sessions;
        timer.schedule(this::tick, 1, TimeUnit.SECONDS);
    }

    private void tick() {
        LoadedConfig.HubOAuth hub = state.config().hubOAuth();
        try {
            if (hub != null) {
                int ended = sessions.recheck(hub, token -> ask(hub, token));
                if (ended > 0) {
                    LOG.info("hub sign-in: {} operator session(s) ended, the hub no longer lets them in", ended);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("hub sign-in: re-check failed: {}", e.toString());
        } finally {
            Duration every = hub == null ? Duration.ofSeconds(30) : hub.recheck().dividedBy(4);
            try {
                timer.schedule(this::tick, Math.max(250, every.toMillis()), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException stopped) {
                // the server is closing
            }
        }
    }

    private static Sessions.Verdict ask(LoadedConfig.HubOAuth hub, String token) {
        try {
            return HubSignIn.refusal(hub, HubSignIn.user(hub, token)).isPresent() ? Sessions.Verdict.REFUSED : Sessions.Verdict.ALLOWED;
        } catch (HubSignIn.Refused e) {
            return Sessions.Verdict.REFUSED;
        } catch (HubSignIn.Unreachable e) {
            LOG.warn("hub sign-in: cannot re-check an operator: {}", e.getMessage());
            return Sessions.Verdict.UNKNOWN;
        }
    }

    @PreDestroy
    void stop() {
        timer.shutdownNow();
    }
}
