package dev.hubprobe.web;

import dev.hubprobe.config.Cidr;
import io.micronaut.http.HttpRequest;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The address a request counts against in the sign-in throttle. The connection's own, unless it comes
 * from one of {@code server.trusted_proxies}: then {@code X-Forwarded-For} is read from the right, past
 * every trusted hop, and the first address that is not a trusted proxy is the client (what is further
 * left the client wrote itself). A hop that is not an IP literal ends the walk at the last good one.
 */
public final class ClientAddress {
    private ClientAddress() {
    }

    public static InetAddress of(HttpRequest<?> request, List<Cidr> trusted) {
        return of(request.getRemoteAddress().getAddress(), request.getHeaders().getAll("X-Forwarded-For"), trusted);
    }

    static InetAddress of(InetAddress connection, List<String> forwardedFor, List<Cidr> trusted) {
        InetAddress client = connection;
        if (!isTrusted(client, trusted)) {
            return client;
        }
        List<String> hops = new ArrayList<>();
        for (String header : forwardedFor) {
            for (String hop : header.split(",")) {
                hops.add(hop.trim());
            }
        }
        for (int i = hops.size() - 1; i >= 0; i--) {
            InetAddress hop = Cidr.literal(hops.get(i));
            if (hop == null) {
                return client;
            }
            client = hop;
            if (!isTrusted(hop, trusted)) {
                return hop;
            }
        }
        return client;
    }

    private static boolean isTrusted(InetAddress a, List<Cidr> trusted) {
        return trusted.stream().anyMatch(c -> c.contains(a));
    }
}
