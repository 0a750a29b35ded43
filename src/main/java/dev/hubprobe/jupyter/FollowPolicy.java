package dev.hubprobe.jupyter;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import okhttp3.Dns;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;

/**
 * Where a launch may send the service. A spawn's {@code ready} event, a server model's {@code url} and
 * BinderHub's {@code ready} event name the server the kernel client then talks to (with the run's
 * token): whoever controls the hub controls that text. So only http(s) URLs are followed, and one that
 * leads to a loopback, link-local or private address (a cloud's metadata service, the service's own
 * admin port, a database beside it) only when the hub or BinderHub itself is on such an address,
 * where the servers it runs are expected to be too.
 */
public final class FollowPolicy {
    /** How long a host name's look-up may take; OkHttp looks it up again to connect. */
    private static final long LOOKUP_MILLIS = 5000;
    private static final ExecutorService LOOKUPS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "hubprobe-url-lookup");
        t.setDaemon(true);
        return t;
    });

    private final Function<String, List<InetAddress>> dns;

    FollowPolicy(Function<String, List<InetAddress>> dns) {
        this.dns = dns;
    }

    /** With the system's resolver, each look-up bounded. */
    public static final FollowPolicy SYSTEM = new FollowPolicy(FollowPolicy::lookup);

    /**
     * {@code url} (absolute, or relative to {@code from}) as the URL to follow.
     *
     * @param what what sent it, for the message ("the spawn's ready event")
     * @throws UrlRefusedException when it is not http(s), or leads inside a network {@code from} is not in
     */
    public HttpUrl follow(HttpUrl from, String url, String what) {
        HttpUrl to = from.resolve(url);
        if (to == null) {
            throw new UrlRefusedException(what + " gave " + describe(url) + ", not an http(s) URL: not followed");
        }
        if (to.host().equals(from.host())) {
            return to; // the hub's own host (a proxied /user/NAME/), whatever address it is on
        }
        List<InetAddress> target = dns.apply(to.host());
        InetAddress inside = target.stream().filter(FollowPolicy::internal).findFirst().orElse(null);
        if (inside != null && dns.apply(from.host()).stream().noneMatch(FollowPolicy::internal)) {
            throw new UrlRefusedException(what + " points at " + to.scheme() + "://" + to.host() + ":" + to.port()
                    + ", a " + kind(inside) + " address, but " + from.host() + " is not on one: not followed");
        }
        return to;
    }

    /**
     * {@code client} for talking to {@code to}, a URL {@link #follow} let through from {@code from}:
     * when {@code to} is on another host, that host is looked up again at every connection and its
     * loopback, link-local and private addresses are refused there too. {@link #follow} judged one
     * answer; OkHttp asks again to connect (after the JVM's 30 s cache, or for each new connection), and
     * a hub that controls the name's DNS can answer a public address first and 169.254.169.254 next.
     */
    public OkHttpClient guarded(OkHttpClient client, HttpUrl from, HttpUrl to) {
        return to.host().equals(from.host()) ? client : client.newBuilder().dns(guard(from)).build();
    }

    /** The resolver {@link #guarded} installs. */
    Dns guard(HttpUrl from) {
        String home = from.host();
        boolean homeInside;
        try {
            homeInside = dns.apply(home).stream().anyMatch(FollowPolicy::internal);
        } catch (RuntimeException e) {
            homeInside = false; // judged as the stricter: a host that cannot be looked up is not inside
        }
        boolean inside = homeInside;
        return host -> {
            List<InetAddress> all;
            try {
                all = dns.apply(host);
            } catch (RuntimeException e) {
                // OkHttp expects an UnknownHostException here; anything else would escape its call
                UnknownHostException u = new UnknownHostException(e.getMessage());
                u.initCause(e);
                throw u;
            }
            if (host.equals(home) || inside) {
                if (all.isEmpty()) {
                    throw new UnknownHostException(host);
                }
                return all;
            }
            List<InetAddress> outside = all.stream().filter(a -> !internal(a)).toList();
            if (outside.isEmpty()) {
                throw new UnknownHostException(all.isEmpty() ? host : host + " resolves to a " + kind(all.get(0))
                        + " address, but " + home + " is not on one: not connected");
            }
            return outside;
        };
    }

    /** Loopback, link-local, private (RFC 1918, unique local, shared CGNAT space), unspecified or multicast. */
    static boolean internal(InetAddress a) {
        byte[] b = a.getAddress();
        InetAddress embedded = embeddedIpv4(b);
        if (embedded != null && internal(embedded)) {
            return true;
        }
        return a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress() || a.isAnyLocalAddress()
                || a.isMulticastAddress()
                || b.length == 16 && (b[0] & 0xfe) == 0xfc
                || b.length == 4 && ((b[0] & 0xff) == 0 || (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64);
    }

    /**
     * The IPv4 address an IPv6 one carries where a host or a gateway may take it as that address:
     * IPv4-compatible ({@code ::a.b.c.d}), NAT64's well-known prefix ({@code 64:ff9b::/96}) and 6to4
     * ({@code 2002:aabb:ccdd::/48}). Java turns only IPv4-mapped ({@code ::ffff:a.b.c.d}) into IPv4 itself.
     */
    private static InetAddress embeddedIpv4(byte[] b) {
        if (b.length != 16) {
            return null;
        }
        int from;
        if (zero(b, 0, 12)) {
            from = 12;
        } else if ((b[0] & 0xff) == 0x00 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b && zero(b, 4, 12)) {
            from = 12;
        } else if ((b[0] & 0xff) == 0x20 && (b[1] & 0xff) == 0x02) {
            from = 2;
        } else {
            return null;
        }
        try {
            return InetAddress.getByAddress(java.util.Arrays.copyOfRange(b, from, from + 4));
        } catch (UnknownHostException e) {
            return null; // four bytes are always an address
        }
    }

    private static boolean zero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static String kind(InetAddress a) {
        if (a.isLoopbackAddress()) {
            return "loopback";
        }
        if (a.isLinkLocalAddress()) {
            return "link-local";
        }
        return "private";
    }

    /** The URL as text safe to show: its scheme and a short head, never a query (it may hold a token). */
    private static String describe(String url) {
        String s = url == null ? "" : url.replaceAll("[?#].*", "");
        return "'" + (s.length() > 80 ? s.substring(0, 80) + "..." : s) + "'";
    }

    /** The addresses of a host; none when it does not resolve (connecting then fails on its own). */
    private static List<InetAddress> lookup(String host) {
        Future<InetAddress[]> f = LOOKUPS.submit(() -> InetAddress.getAllByName(host));
        try {
            return Arrays.asList(f.get(LOOKUP_MILLIS, TimeUnit.MILLISECONDS));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownHostException) {
                return List.of();
            }
            throw new UnreachableException("could not look up " + host + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new UnreachableException("looking up " + host + " took over " + LOOKUP_MILLIS + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeadlineException("interrupted while looking up " + host);
        }
    }
}
