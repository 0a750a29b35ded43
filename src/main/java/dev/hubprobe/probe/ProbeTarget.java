package dev.hubprobe.probe;

import dev.hubprobe.config.Secret;
import java.util.Objects;

/**
 * Where and as whom a probe runs.
 *
 * @param hub  the hub's name (the {@code hub} label), never its URL
 * @param url  the hub's base URL
 * @param user the user to probe as; with a token this may be left null to mean "the token's owner"
 */
public record ProbeTarget(String hub, String url, String user, Credentials credentials) {
    public ProbeTarget {
        Objects.requireNonNull(hub, "hub");
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(credentials, "credentials");
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
