package dev.hubprobe.service;

import dev.hubprobe.config.ConfigException;
import dev.hubprobe.config.Secret;
import dev.hubprobe.config.StrictYaml;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeTarget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.HttpUrl;

/**
 * Reads and checks the service configuration. Every mistake (unknown or misplaced key, bad duration,
 * missing probe file, duplicate hub, unset variable, a secret written in clear) is an error naming
 * the file, the line and the key path; nothing is half-loaded.
 */
public final class ServiceConfigLoader {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final Pattern REF = Pattern.compile("\\$\\{(env|file):([^}]+)}");
    private static final Duration DEFAULT_INTERVAL = Duration.ofMinutes(5);

    private ServiceConfigLoader() {
    }

    public static LoadedConfig load(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file.toString(), 0, null, "file does not exist");
        } catch (IOException e) {
            throw new ConfigException(file.toString(), 0, null, "cannot read: " + e.getMessage());
        }
        String name = file.toString();
        ServiceConfig c = StrictYaml.read(name, text, ServiceConfig.class);
        Path base = file.toAbsolutePath().getParent();
        Checker check = new Checker(name, text);

        ServiceConfig.Server server = c.server() == null ? new ServiceConfig.Server(null, null) : c.server();
        int port = server.port() == null ? 8080 : server.port();
        if (port < 0 || port > 65535) {
            throw check.at("server.port", "'" + port + "' is not a TCP port (0-65535)");
        }
        Secret apiToken = server.apiToken() == null ? null : check.secret("server.api_token", server.apiToken(), base);

        ServiceConfig.History history = c.history() == null ? new ServiceConfig.History(null, null) : c.history();
        Path historyPath = base.resolve(history.path() == null ? "data/hubprobe" : history.path()).normalize();
        Duration retention = history.retention() == null ? Duration.ofDays(30) : history.retention();

        ServiceConfig.Scheduler scheduler = c.scheduler() == null ? new ServiceConfig.Scheduler(null, null) : c.scheduler();
        int threads = scheduler.threads() == null ? 16 : scheduler.threads();
        if (threads < 1 || threads > 1000) {
            throw check.at("scheduler.threads", "'" + threads + "' must be between 1 and 1000");
        }
        Duration jitter = scheduler.jitter() == null ? null : scheduler.jitter();

        ServiceConfig.Defaults defaults = c.defaults() == null ? new ServiceConfig.Defaults(null, null) : c.defaults();
        Duration defaultInterval = defaults.interval() == null ? DEFAULT_INTERVAL : defaults.interval();
        Path probesDir = base.resolve(c.probesDir() == null ? "../probes" : c.probesDir()).normalize();

        if (c.hubs() == null || c.hubs().isEmpty()) {
            throw check.at("hubs", "at least one hub is needed");
        }
        List<ScheduledProbe> probes = new ArrayList<>();
        Set<String> hubNames = new HashSet<>();
        for (int i = 0; i < c.hubs().size(); i++) {
            ServiceConfig.Hub hub = c.hubs().get(i);
            String at = "hubs[" + i + "]";
            if (hub.name() == null || !NAME.matcher(hub.name()).matches()) {
                throw check.at(at + ".name", hub.name() == null ? "every hub needs a name"
                        : "'" + hub.name() + "' must be lower-case letters, digits and '-' (it is the hub label)");
            }
            if (!hubNames.add(hub.name())) {
                throw check.at(at + ".name", "duplicate hub name '" + hub.name() + "'");
            }
            HttpUrl url = hub.url() == null ? null : HttpUrl.parse(hub.url());
            if (url == null) {
                throw check.at(at + ".url", hub.url() == null ? "every hub needs a url" : "'" + hub.url() + "' is not an http(s) URL");
            }
            if (!url.username().isEmpty() || !url.password().isEmpty()) {
                throw check.at(at + ".url", "credentials in the URL are not accepted; use auth");
            }
            ProbeTarget.Credentials credentials = credentials(check, at + ".auth", hub.auth(), base);
            if (hub.probes() == null || hub.probes().isEmpty()) {
                throw check.at(at + ".probes", "a hub needs at least one probe");
            }
            Set<String> probeNames = new HashSet<>();
            for (int j = 0; j < hub.probes().size(); j++) {
                ServiceConfig.ProbeRef ref = hub.probes().get(j);
                String pat = at + ".probes[" + j + "]";
                if (ref.probe() == null || !NAME.matcher(ref.probe()).matches()) {
                    throw check.at(pat + ".probe", "name a probe file in " + probesDir + " (without .yml)");
                }
                if (!probeNames.add(ref.probe())) {
                    throw check.at(pat + ".probe", "probe '" + ref.probe() + "' is listed twice for this hub");
                }
                Path probeFile = probesDir.resolve(ref.probe() + ".yml");
                if (!Files.isRegularFile(probeFile)) {
                    throw check.at(pat + ".probe", "probe file " + probeFile + " does not exist");
                }
                ProbeDefinition def = ProbeDefinition.load(probeFile).withName(ref.probe());
                def = def.withTimeouts(override(override(def.timeouts(), defaults.timeouts()), ref.timeouts()));
                Duration interval = ref.interval() != null ? ref.interval() : hub.interval() != null ? hub.interval() : defaultInterval;
                probes.add(new ScheduledProbe(new ProbeTarget(hub.name(), url.toString(), hub.user(), credentials), def, interval));
            }
        }
        return new LoadedConfig(file, port, apiToken, historyPath, retention, threads, jitter, List.copyOf(probes));
    }

    private static ProbeTarget.Credentials credentials(Checker check, String at, ServiceConfig.Auth auth, Path base)
            throws ConfigException {
        if (auth == null) {
            throw check.at(at, "every hub needs auth: {token: ...} or {username: ..., password: ...}");
        }
        if (auth.token() != null && (auth.username() != null || auth.password() != null)) {
            throw check.at(at, "give either token, or username and password, not both");
        }
        if (auth.token() != null) {
            return new ProbeTarget.Token(check.secret(at + ".token", auth.token(), base));
        }
        if (auth.username() == null || auth.password() == null) {
            throw check.at(at, "give token, or both username and password");
        }
        return new ProbeTarget.Password(auth.username(), check.secret(at + ".password", auth.password(), base));
    }

    private static ProbeDefinition.Timeouts override(ProbeDefinition.Timeouts t, ServiceConfig.Timeouts o) {
        if (o == null) {
            return t;
        }
        return new ProbeDefinition.Timeouts(o.hub() != null ? o.hub() : t.hub(), o.spawn() != null ? o.spawn() : t.spawn(),
                o.kernel() != null ? o.kernel() : t.kernel(), o.execute() != null ? o.execute() : t.execute(),
                o.cleanup() != null ? o.cleanup() : t.cleanup());
    }

    /** Errors at a key path, with the line found in the file's text. */
    private record Checker(String file, String text) {
        ConfigException at(String keyPath, String problem) {
            return StrictYaml.error(file, text, keyPath, problem);
        }

        Secret secret(String keyPath, String value, Path base) throws ConfigException {
            Matcher m = REF.matcher(value.trim());
            if (!m.matches()) {
                throw at(keyPath, "write the secret as ${env:VARIABLE} or ${file:/path}, not in the config itself");
            }
            try {
                return m.group(1).equals("env") ? Secret.fromEnv(m.group(2)) : Secret.fromFile(base.resolve(m.group(2)));
            } catch (ConfigException e) {
                throw at(keyPath, e.problem() + (e.file() != null ? " (" + e.file() + ")" : ""));
            }
        }
    }
}
