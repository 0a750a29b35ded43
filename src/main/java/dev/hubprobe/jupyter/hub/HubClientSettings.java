package dev.hubprobe.jupyter.hub;

import java.time.Duration;
import dev.hubprobe.tls.TrustStores;
import javax.net.ssl.X509TrustManager;
import okhttp3.OkHttpClient;

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

    /**
     * A client with these bounds, for a hub or a BinderHub: redirects are never followed, and REST calls
     * are bounded as a whole (by the phase's deadline, else by {@code callTimeout}): a read timeout would
     * cut a call the server legitimately holds (a spawn, a kernel start).
     */
    public OkHttpClient.Builder clientBuilder() {
        OkHttpClient.Builder b = new OkHttpClient.Builder();
        if (trust != null) {
            b.sslSocketFactory(TrustStores.context(trust).getSocketFactory(), trust);
        }
        return b.followRedirects(false).followSslRedirects(false).connectTimeout(connectTimeout).readTimeout(Duration.ZERO)
                .writeTimeout(readTimeout).callTimeout(callTimeout).pingInterval(pingInterval);
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
