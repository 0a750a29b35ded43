package dev.hubprobe.probe;

import java.util.Locale;

/**
 * Why a run failed, as a bounded label value. Each one points an operator at a different part of the
 * deployment: the hub, the authenticator, the spawner, the user image, the kernel, the prober itself.
 */
public enum Reason {
    /** connection refused, or 404/502/503/504 where the hub's API should be */
    HUB_UNREACHABLE,
    /** the hub accepted the connection but did not answer within the hub budget ({@code timeouts.hub}) */
    HUB_TIMEOUT,
    /** the hub's certificate expires within the minimum days asked for */
    TLS_EXPIRING,
    /** the hub's certificate (or one of its chain) has expired */
    TLS_EXPIRED,
    /** the hub's chain is not trusted, or is not for its host name */
    TLS_INVALID,
    /** BinderHub's /health names a failing check, or answers a 5xx without JSON */
    BINDER_UNHEALTHY,
    /** BinderHub's build ended with a {@code failed} event */
    BUILD_FAILED,
    BUILD_TIMEOUT,
    /** BinderHub's launch of the built image ended with a {@code failed} event */
    LAUNCH_FAILED,
    LAUNCH_TIMEOUT,
    /** the hub answered, but with a 5xx or malformed data */
    HUB_ERROR,
    /** the login form refused the credentials, or sent us back to the login page */
    LOGIN_REJECTED,
    /**
     * the OAuth hop from the hub's session to the user's server's cookie broke; the message names the
     * step: authorize, callback or cookie
     */
    OAUTH_FAILED,
    /** logging in (form, token check, minting the run's token) took longer than {@code timeouts.hub} */
    LOGIN_TIMEOUT,
    /** a token was refused, or lacks a scope the probe needs */
    AUTH_ERROR,
    SPAWN_FAILED,
    SPAWN_TIMEOUT,
    SPAWN_THROTTLED,
    /** the spawn's events show the image could not be pulled (incident 5) */
    IMAGE_PULL_FAILED,
    /** no node fits the pod and the autoscaler will not add one (NotTriggerScaleUp) */
    UNSCHEDULABLE,
    /** a scale-up probe's pod landed on a warm node: the scale-up path was not measured */
    NO_SCALE_UP,
    /** the hub says the server is ready, but it does not answer */
    SERVER_UNREACHABLE,
    KERNEL_START_FAILED,
    /**
     * the kernel websocket's upgrade, sent as a browser's (with {@code Origin}), was refused with a 4xx:
     * browsers are refused though scripts without {@code Origin} may get through; look at the ingress
     */
    WEBSOCKET_REJECTED,
    KERNEL_DIED,
    KERNEL_TIMEOUT,
    /** the kernel channel sent frames outside the protocol */
    KERNEL_PROTOCOL_ERROR,
    /**
     * a hub, BinderHub or kernel sent something past one of the service's limits (an event line over
     * 1 MiB, a frame over 16 MiB, more messages than the queue holds) or pointed the service at a URL
     * it will not follow; the message names the limit
     */
    PROTOCOL_ERROR,
    EXECUTE_ERROR,
    OUTPUT_MISMATCH,
    /** a measurement a cell reported ({@code hubprobe-measure:}) is past the probe's bound; the message names both */
    MEASURE_OUT_OF_RANGE,
    EXECUTE_TIMEOUT,
    CLEANUP_FAILED,
    /** stopping the kernel or the server took longer than {@code timeouts.cleanup} */
    CLEANUP_TIMEOUT,
    /** the prober was asked to stop mid-run (shutdown); cleanup still ran */
    ABORTED;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
