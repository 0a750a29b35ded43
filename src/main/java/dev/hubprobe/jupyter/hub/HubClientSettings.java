package dev.hubprobe.jupyter.hub;

import java.time.Duration;
import dev.hubprobe.jupyter.OkHttpPlatform;
import dev.hubprobe.tls.TrustStores;
import javax.net.ssl.X509TrustManager;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.List;
import okhttp3.ConnectionPool;
import okhttp3.ConnectionSpec;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;

/**
 * Network bounds for one hub. Every call has a connect, read and total timeout; the websocket pings
 * so a dead peer is noticed even while nothing is being executed.
 */
public record HubClientSettings(Duration connectTimeout, Duration readTimeout, Duration callTimeout,
                                Duration pingInterval, String userAgent, X509TrustManager trust) {

    static {
        // before this class's clients make OkHttp's first call anywhere in the process
        OkHttpPlatform.choose();
    }

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
        return clientBuilder(true);
    }

    /**
     * @param tls false for a hub served over plain http: its client never sets up TLS (reading the
     *            JVM's CA certificates costs a one-shot check about a tenth of a second)
     */
    public OkHttpClient.Builder clientBuilder(boolean tls) {
        // a dispatcher of its own (on the shared threads), so cancelling a run's calls cancels no other run's
        return (tls ? shared(trust) : Cleartext.CLIENT).newBuilder().dispatcher(new Dispatcher(THREADS)).followRedirects(false).followSslRedirects(false).connectTimeout(connectTimeout).readTimeout(Duration.ZERO)
                .writeTimeout(readTimeout).callTimeout(callTimeout).pingInterval(pingInterval);
    }

    /**
     * One client per trust (so per hub with its own CA, else one for all): each run's client is derived
     * from it and shares its connection pool, threads and TLS context. A client of its own per run
     * paid for a new pool, dispatcher and handshake every time: most of a run's CPU in the service.
     */
    private static OkHttpClient shared(X509TrustManager trust) {
        if (trust == null) {
            return defaultTrust();
        }
        return BY_TRUST.computeIfAbsent(trust, t -> defaultTrust().newBuilder()
                .sslSocketFactory(TrustStores.context(t).getSocketFactory(), t).build());
    }

    /** Built on first use only: a process that probes https hubs alone never needs it, and the other way round. */
    private static final class Cleartext {
        static final OkHttpClient CLIENT = new OkHttpClient.Builder().dispatcher(new Dispatcher(THREADS)).connectionPool(POOL)
                .connectionSpecs(List.of(ConnectionSpec.CLEARTEXT)).build();
    }

    private static final ConnectionPool POOL = new ConnectionPool(64, 2, TimeUnit.MINUTES);

    /** Threads for asynchronous calls, shared by every run; idle ones end after a minute. */
    private static final ExecutorService THREADS = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
            new SynchronousQueue<>(), r -> {
                Thread t = new Thread(r, "hubprobe-http");
                t.setDaemon(true);
                return t;
            });
    /** Keep-alive connections, shared: a run's many calls to its hub, and the next run's, reuse them. */
    private static OkHttpClient defaultTrust;

    private static synchronized OkHttpClient defaultTrust() {
        if (defaultTrust == null) {
            defaultTrust = new OkHttpClient.Builder().dispatcher(new Dispatcher(THREADS)).connectionPool(POOL).build();
        }
        return defaultTrust;
    }
    /** Keyed like {@link TrustStores}' own cache (one trust manager per CA file), so as bounded as it. */
    private static final Map<X509TrustManager, OkHttpClient> BY_TRUST = new ConcurrentHashMap<>();

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
