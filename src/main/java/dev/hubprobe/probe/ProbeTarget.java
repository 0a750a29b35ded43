package dev.hubprobe.probe;

import dev.hubprobe.config.Secret;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Where and as whom a probe runs.
 *
 * @param hub  the hub's name (the {@code hub} label), never its URL
 * @param url  the hub's base URL
 * @param user the user to probe as; with a token this may be left null to mean "the token's owner"
 */
public record ProbeTarget(String hub, String url, String user, Credentials credentials, Tls tls, Binder binder) {
    public ProbeTarget {
        Objects.requireNonNull(hub, "hub");
        Objects.requireNonNull(url, "url");
        if (binder == null) {
            Objects.requireNonNull(credentials, "credentials");
        }
        tls = tls == null ? Tls.DEFAULT : tls;
    }

    public ProbeTarget(String hub, String url, String user, Credentials credentials) {
        this(hub, url, user, credentials, Tls.DEFAULT, null);
    }

    public ProbeTarget(String hub, String url, String user, Credentials credentials, Tls tls) {
        this(hub, url, user, credentials, tls, null);
    }

    /** A BinderHub at {@code url}, launching {@code repo}: it needs no credentials, the launch brings a token. */
    public static ProbeTarget binder(String name, String url, String repo, Tls tls) {
        return new ProbeTarget(name, url, null, null, tls, new Binder(repo));
    }

    /** @param repo what to launch, in BinderHub's own spelling: {@code gh/org/repo/ref}, {@code gl/...}, {@code git/...} */
    public record Binder(String repo) {
        public Binder {
            Objects.requireNonNull(repo, "repo");
        }
    }

    /**
     * How an https hub's certificate is judged.
     *
     * @param caFile  PEM CAs trusted besides the JVM's own (a hub behind an internal CA); null for none
     * @param minDays fewer days left than this fails the run ({@code tls_expiring}); 0 only fails an
     *                expired or untrusted certificate (the service warns ahead with alerts instead)
     */
    public record Tls(Path caFile, double minDays, List<Endpoint> endpoints) {
        public static final Tls DEFAULT = new Tls(null, 0);

        public Tls {
            endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
        }

        public Tls(Path caFile, double minDays) {
            this(caFile, minDays, List.of());
        }
    }

    /** Another TLS endpoint the hub depends on (its Kubernetes API server, its image registry), watched for expiry. */
    public record Endpoint(String name, String host, int port) {
    }

    /** How the prober authenticates: a hub API token (OAuth hubs), or the hub's login form. */
    public sealed interface Credentials permits Token, Password {
        Secret secret();
    }

    public record Token(Secret secret) implements Credentials {
    }

    public record Password(String username, Secret secret) implements Credentials {
    }
}
