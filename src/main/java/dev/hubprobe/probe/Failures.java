package dev.hubprobe.probe;

import dev.hubprobe.jupyter.DeadlineException;
import dev.hubprobe.jupyter.HttpStatusException;
import dev.hubprobe.jupyter.LimitExceededException;
import dev.hubprobe.jupyter.ProtocolException;
import dev.hubprobe.jupyter.UnreachableException;
import dev.hubprobe.jupyter.UrlRefusedException;
import dev.hubprobe.jupyter.hub.LoginRejectedException;
import dev.hubprobe.jupyter.hub.MissingScopeException;
import dev.hubprobe.jupyter.hub.OAuthFailedException;
import dev.hubprobe.jupyter.hub.SpawnFailedException;
import dev.hubprobe.jupyter.hub.SpawnThrottledException;
import dev.hubprobe.jupyter.kernel.KernelDiedException;
import dev.hubprobe.jupyter.kernel.WebsocketRejectedException;
import java.util.EnumSet;
import java.util.Set;

/**
 * Turns what the Jupyter clients report into a reason, given the phase it happened in: a connection
 * refused is "hub unreachable" while logging in but "server unreachable" once the hub said the server
 * was ready. Steps throw {@link ProbeFailure} themselves only where they know better.
 */
public final class Failures {
    private static final Set<Phase> HUB_PHASES = EnumSet.of(Phase.HUB_API, Phase.LOGIN, Phase.SPAWN, Phase.BINDER_HEALTH,
            Phase.BUILD, Phase.LAUNCH);
    private static final Set<Phase> CLEANUP = EnumSet.of(Phase.CLEANUP, Phase.KERNEL_SHUTDOWN, Phase.STOP);
    private static final Set<Integer> GATEWAY = Set.of(404, 502, 503, 504);

    private Failures() {
    }

    public static ProbeFailure classify(Phase phase, RuntimeException e) {
        if (e instanceof ProbeFailure f) {
            return f;
        }
        return new ProbeFailure(reason(phase, e), message(e), e);
    }

    private static Reason reason(Phase phase, RuntimeException e) {
        if (e instanceof DeadlineException) {
            return switch (phase) {
                case HUB_API, BINDER_HEALTH -> Reason.HUB_TIMEOUT;
                case BUILD -> Reason.BUILD_TIMEOUT;
                case LAUNCH -> Reason.LAUNCH_TIMEOUT;
                case LOGIN -> Reason.LOGIN_TIMEOUT;
                case SPAWN -> Reason.SPAWN_TIMEOUT;
                case KERNEL_START, KERNEL_CONNECT -> Reason.KERNEL_TIMEOUT;
                case EXECUTE -> Reason.EXECUTE_TIMEOUT;
                case APP -> Reason.APP_TIMEOUT;
                case UI_LOAD, UI_KERNEL, UI_EXECUTE -> Reason.UI_TIMEOUT;
                default -> Reason.CLEANUP_TIMEOUT;
            };
        }
        if (CLEANUP.contains(phase)) {
            return Reason.CLEANUP_FAILED;
        }
        if (phase == Phase.APP) {
            // the server answered the kernel steps just before: whatever breaks now is the app's
            return Reason.APP_FAILED;
        }
        if (e instanceof MissingScopeException) {
            return Reason.AUTH_ERROR;
        }
        if (e instanceof LoginRejectedException) {
            return Reason.LOGIN_REJECTED;
        }
        if (e instanceof OAuthFailedException) {
            return Reason.OAUTH_FAILED;
        }
        if (e instanceof SpawnFailedException) {
            return Reason.SPAWN_FAILED;
        }
        if (e instanceof SpawnThrottledException) {
            return Reason.SPAWN_THROTTLED;
        }
        if (e instanceof KernelDiedException) {
            return Reason.KERNEL_DIED;
        }
        if (e instanceof WebsocketRejectedException) {
            return Reason.WEBSOCKET_REJECTED;
        }
        if (e instanceof UnreachableException) {
            // not kernel_died, even during execute: death needs evidence (KernelDiedException)
            return HUB_PHASES.contains(phase) ? Reason.HUB_UNREACHABLE : Reason.SERVER_UNREACHABLE;
        }
        if (e instanceof HttpStatusException h) {
            if (h.status() == 401 || h.status() == 403) {
                return Reason.AUTH_ERROR;
            }
            if (phase == Phase.HUB_API && GATEWAY.contains(h.status())) {
                return Reason.HUB_UNREACHABLE;
            }
            if (!HUB_PHASES.contains(phase)) {
                if (GATEWAY.contains(h.status()) || h.status() == 424) {
                    return phase == Phase.KERNEL_CONNECT && h.status() == 404 ? Reason.KERNEL_DIED : Reason.SERVER_UNREACHABLE;
                }
                return phase == Phase.KERNEL_START ? Reason.KERNEL_START_FAILED : Reason.HUB_ERROR;
            }
            return Reason.HUB_ERROR;
        }
        if (e instanceof LimitExceededException || e instanceof UrlRefusedException) {
            return Reason.PROTOCOL_ERROR; // in any phase: the peer, not the network, broke the limit
        }
        if (e instanceof ProtocolException) {
            return HUB_PHASES.contains(phase) ? Reason.HUB_ERROR : Reason.KERNEL_PROTOCOL_ERROR;
        }
        return Reason.HUB_ERROR;
    }

    private static String message(RuntimeException e) {
        if (e instanceof HttpStatusException || e.getClass().getPackageName().startsWith("dev.hubprobe")) {
            return e.getMessage();
        }
        // not a failure the clients describe: a prober bug, say what it was
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
}
