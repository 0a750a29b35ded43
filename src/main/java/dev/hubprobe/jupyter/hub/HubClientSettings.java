package dev.hubprobe.jupyter.hub;

import java.time.Duration;
import javax.net.ssl.X509TrustManager;

/**
 * Network bounds for one hub. Every call has a connect, read and total timeout; the websocket pings
 * so a dead peer is noticed even while nothing is being executed.
 */
public record HubClientSettings(Duration connectTimeout, Duration readTimeout, Duration callTimeout,
                                Duration pingInterval, String userAgent, X509TrustManager trust) {

    public HubClientSettings(Duration connectTimeout, Duration readTimeout, Duration callTimeout, Duration pingInterval,
                             String userAgent) {
        this(connectTimeout, readTimeout, callTimeout, pingInterval, userAgent, null);
    }

    /** Trusts these CAs (the JVM's and an operator's own), not only the JVM's. */
    public HubClientSettings withTrust(X509TrustManager newTrust) {
        return new HubClientSettings(connectTimeout, readTimeout, callTimeout, pingInterval, userAgent, newTrust);
    }

    public static HubClientSettings defaults(String userAgent) {
        // callTimeout must exceed the hub's slow_spawn_timeout (10 s), for which a spawn POST may block.
        return new HubClientSettings(Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60),
                Duration.ofSeconds(15), userAgent);
    }

    public HubClientSettings withReadTimeout(Duration read) {
        return new HubClientSettings(connectTimeout, read, callTimeout, pingInterval, userAgent, trust);
    }
}
