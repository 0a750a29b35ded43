package dev.hubprobe.service;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the read guard's settings mean that an operator would not notice on their own, said at start
 * and at every reload: a public page with only {@code api_token} makes Prometheus scrape with the
 * write token; reads left unguarded on an address beyond loopback are open to whoever reaches it; and
 * a reload that turns the guard off opens what was closed a moment ago.
 */
public final class AccessWarnings {
    private static final Logger LOG = LoggerFactory.getLogger(AccessWarnings.class);

    private AccessWarnings() {
    }

    /** The warnings for running {@code now}, after {@code before} (null at start), listening on {@code bind}. */
    static List<String> of(LoadedConfig before, LoadedConfig now, String bind) {
        List<String> out = new ArrayList<>();
        if (now.readsGuarded() && now.readToken() == null && now.hubOAuth() != null && !now.statusPage().isPublic()) {
            out.add("server.hub_oauth guards reads and server.read_token is not set: /metrics and the API are for operators"
                    + " signed in through the hub" + (now.apiToken() != null ? " and server.api_token, a token that can also write" : "")
                    + "; set server.read_token for Prometheus and give it that");
        } else if (now.readsGuarded() && now.readToken() == null) {
            out.add("status_page.public is on with only server.api_token: /metrics and the API now need server.api_token,"
                    + " a token that can also write, so Prometheus would scrape with it; set server.read_token for Prometheus"
                    + " (and the operators' reads) and give it that instead");
        }
        if (before != null && before.readsGuarded() && !now.readsGuarded()) {
            out.add("this reload turned the read guard off: /metrics, the API and the pages no longer need a token"
                    + " (set server.read_token, or status_page.public with a token, to guard them again)");
        }
        if (!now.readsGuarded() && !loopback(bind)) {
            out.add("reads (/metrics, the API, the pages with every hub's runs and messages) need no token and the service"
                    + " listens on " + bind + ", beyond this machine: set server.read_token");
        }
        return out;
    }

    public static void log(LoadedConfig before, LoadedConfig now, String bind) {
        of(before, now, bind).forEach(w -> LOG.warn("{}", w));
    }

    /** Only this machine: 127.0.0.0/8, ::1, localhost. A name is judged by its spelling, without a lookup. */
    static boolean loopback(String bind) {
        if (bind == null || bind.equalsIgnoreCase("localhost")) {
            return true;
        }
        java.net.InetAddress a = dev.hubprobe.config.Cidr.literal(bind.startsWith("[") && bind.endsWith("]")
                ? bind.substring(1, bind.length() - 1) : bind);
        return a != null && a.isLoopbackAddress();
    }
}
