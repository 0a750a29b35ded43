package dev.hubprobe.service;

import dev.hubprobe.schedule.ScheduledProbe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.config.ConfigException;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad service configuration is refused with the file, the line and the key path. */
class ServiceConfigLoaderTest {
    @TempDir
    Path dir;

    @BeforeEach
    void probes() throws Exception {
        Files.createDirectories(dir.resolve("probes"));
        Files.writeString(dir.resolve("probes/kernel-smoke.yml"), "timeouts: {spawn: 5m}\ncells: [{code: print(1)}]\n");
        Files.writeString(dir.resolve("pw"), "s3cret-from-file\n");
    }

    private Path write(String yaml) throws Exception {
        Path f = dir.resolve("hubprobe.yml");
        Files.writeString(f, "probes_dir: probes\n" + yaml);
        return f;
    }

    private ConfigException bad(String yaml) throws Exception {
        Path f = write(yaml);
        return assertThrows(ConfigException.class, () -> ServiceConfigLoader.load(f));
    }

    private static final String HUB = """
            hubs:
              - name: staging
                url: https://staging.example.org
                auth: {token: "${env:PATH}"}
                user: hubprobe-bot
                probes:
                  - {probe: kernel-smoke, interval: 2m}
            """;

    @Test
    void validConfigResolvesIntervalsTimeoutsAndSecrets() throws Exception {
        LoadedConfig c = ServiceConfigLoader.load(write("""
                defaults: {interval: 5m, timeouts: {kernel: 3m}}
                hubs:
                  - name: staging
                    url: https://staging.example.org
                    auth: {token: "${env:PATH}"}
                    probes: [{probe: kernel-smoke, interval: 2m}]
                  - name: prod
                    url: https://hub.example.org/
                    auth: {username: bot, password: "${file:pw}"}
                    probes: [{probe: kernel-smoke}]
                """));
        assertEquals(2, c.probes().size());
        ScheduledProbe staging = c.probes().get(0);
        assertEquals(Duration.ofMinutes(2), staging.interval());
        assertEquals(Duration.ofMinutes(5), staging.probe().timeouts().spawn(), "from the probe file");
        assertEquals(Duration.ofMinutes(3), staging.probe().timeouts().kernel(), "from the defaults");
        assertEquals(Duration.ofMinutes(5), c.probes().get(1).interval());
        ProbeTarget.Password pw = assertInstanceOf(ProbeTarget.Password.class, c.probes().get(1).target().credentials());
        assertEquals("s3cret-from-file", pw.secret().reveal());
        assertEquals(8080, c.port());
        assertEquals(Duration.ofDays(30), c.retention());
    }

    @Test
    void aProbeListedOncePerProfileIsASeriesOfEachThatSpawnsWithItsProfile() throws Exception {
        Files.writeString(dir.resolve("probes/gpu.yml"), "user_options: {profile: x, image_tag: v2}\ncells: [{code: print(1)}]\n");
        LoadedConfig c = ServiceConfigLoader.load(write("""
                hubs:
                  - name: staging
                    url: https://staging.example.org
                    auth: {token: "${env:PATH}"}
                    probes:
                      - {probe: kernel-smoke}
                      - {probe: kernel-smoke, profile: gpu-small}
                      - {probe: gpu, profile: gpu-large}
                """));
        assertEquals(java.util.List.of("kernel-smoke", "kernel-smoke@gpu-small", "gpu@gpu-large"),
                c.probes().stream().map(p -> p.key().probe()).toList());
        assertEquals(null, c.probes().get(0).probe().userOptions());
        assertEquals("{\"profile\":\"gpu-small\"}", c.probes().get(1).probe().userOptions().toString());
        // the entry's profile over the file's; the file's other options stay
        assertEquals("{\"profile\":\"gpu-large\",\"image_tag\":\"v2\"}", c.probes().get(2).probe().userOptions().toString());
        assertEquals("gpu-large", c.probes().get(2).key().profile());
    }

    /** An app's selector is looked for in Chromium: a probe without ui: has none, and says so naming file, key and value. */
    @Test
    void anAppSelectorWithoutUiIsRefusedNamingTheProbeFileKeyAndValue() throws Exception {
        Files.writeString(dir.resolve("probes/rstudio.yml"), "cells: [{code: print(1)}]\napps:\n  - {path: /hello/}\n"
                + "  - {path: /rstudio/, expect: {selector: \"#app-root\"}}\n");
        ConfigException e = bad(HUB.replace("{probe: kernel-smoke, interval: 2m}", "{probe: rstudio}"));
        String m = e.getMessage();
        assertTrue(m.startsWith(dir.resolve("probes/rstudio.yml").toString() + ":4: apps[1].expect.selector: '#app-root'"), m);
        assertTrue(m.contains("no ui:") && m.contains("ui: {app: lab}"), m);
        Files.writeString(dir.resolve("probes/rstudio.yml"), "ui: {app: lab}\ncells: [{code: print(1)}]\n"
                + "apps: [{path: /rstudio/, expect: {selector: \"#app-root\"}}]\n");
        assertEquals("#app-root", ServiceConfigLoader.load(write(HUB.replace("{probe: kernel-smoke, interval: 2m}", "{probe: rstudio}")))
                .probes().get(0).probe().apps().get(0).expect().selector());
    }

    @Test
    void aBadOrRepeatedProfileIsRefusedNamingTheKey() throws Exception {
        ConfigException twice = bad("""
                hubs:
                  - name: staging
                    url: https://staging.example.org
                    auth: {token: "${env:PATH}"}
                    probes: [{probe: kernel-smoke, profile: cpu}, {probe: kernel-smoke, profile: cpu}]
                """);
        assertTrue(twice.getMessage().contains("hubs[0].probes[1].profile"), twice.getMessage());
        assertTrue(twice.getMessage().contains("listed twice for profile 'cpu'"), twice.getMessage());
        ConfigException slug = bad("""
                hubs:
                  - name: staging
                    url: https://staging.example.org
                    auth: {token: "${env:PATH}"}
                    probes: [{probe: kernel-smoke, profile: GPU Small}]
                """);
        assertTrue(slug.getMessage().contains("hubs[0].probes[0].profile"), slug.getMessage());
        assertTrue(slug.getMessage().contains("'GPU Small' is not a profile slug"), slug.getMessage());
    }

    @Test
    void theStatusPageNamesOnlyConfiguredHubsAndAPublicOneNeedsAToken() throws Exception {
        ConfigException unknown = bad("server: {read_token: \"${env:PATH}\"}\nstatus_page: {public: true, hubs: [staging, prod]}\n" + HUB);
        assertTrue(unknown.getMessage().contains("status_page.hubs[1]") && unknown.getMessage().contains("no hub named 'prod'"),
                unknown.getMessage());
        ConfigException open = bad("status_page: {public: true}\n" + HUB);
        assertTrue(open.getMessage().contains("status_page.public") && open.getMessage().contains("server.read_token"), open.getMessage());
        ConfigException typo = bad("status_page: {publc: true}\n" + HUB);
        assertTrue(typo.getMessage().contains("publc"), typo.getMessage());
        LoadedConfig c = ServiceConfigLoader.load(write("server: {read_token: \"${env:PATH}\"}\n"
                + "status_page: {public: true, title: Example Hub}\n" + HUB));
        assertTrue(c.statusPage().isPublic());
        assertEquals("Example Hub", c.statusPage().title());
        assertEquals(List.of("staging"), c.statusPage().publicHubs(), "every configured hub when none are listed");
        assertFalse(ServiceConfigLoader.load(write(HUB)).statusPage().isPublic(), "off by default");
    }

    @Test
    void theBasePathAndSignInThroughTheHubAreCheckedKeyByKey() throws Exception {
        assertEquals("/", ServiceConfigLoader.load(write(HUB)).basePath(), "none by default");
        assertEquals("/services/hubprobe/", ServiceConfigLoader.load(write("server: {base_path: /services/hubprobe}\n" + HUB)).basePath());
        for (String bad : List.of("services/hubprobe", "/a//b/", "/a/../b/", "/a b/", "/a?x=1")) {
            ConfigException e = bad("server: {base_path: \"" + bad + "\"}\n" + HUB);
            assertTrue(e.getMessage().contains("server.base_path") && e.getMessage().contains(bad), e.getMessage());
        }
        String oauth = "server:\n  base_path: /services/hubprobe/\n  hub_oauth:\n    hub_url: https://hub.example.org/\n"
                + "    client_id: service-hubprobe\n    client_secret: \"${env:PATH}\"\n";
        LoadedConfig c = ServiceConfigLoader.load(write(oauth + "    allow: {groups: [ops]}\n" + HUB));
        assertEquals("https://hub.example.org", c.hubOAuth().hubUrl());
        assertEquals("hubprobe", c.hubOAuth().serviceName());
        assertEquals(Duration.ofMinutes(5), c.hubOAuth().recheck());
        assertTrue(c.readsGuarded(), "the operator view is for the hub's operators only");
        assertFalse(c.hubOAuth().toString().contains(System.getenv("PATH")), "never the secret");

        ConfigException nobody = bad(oauth + HUB);
        assertTrue(nobody.getMessage().contains("server.hub_oauth.allow"), nobody.getMessage());
        ConfigException id = bad(oauth.replace("service-hubprobe", "hubprobe") + "    allow: {users: [alice]}\n" + HUB);
        assertTrue(id.getMessage().contains("server.hub_oauth.client_id") && id.getMessage().contains("service-<name>"), id.getMessage());
        ConfigException clear = bad(oauth.replace("\"${env:PATH}\"", "plain-secret") + "    allow: {users: [alice]}\n" + HUB);
        assertTrue(clear.getMessage().contains("server.hub_oauth.client_secret") && !clear.getMessage().contains("plain-secret"),
                clear.getMessage());
        // the secret keys the sealed hub tokens of the sessions table: a short one is guessed offline from a copy of it
        Files.writeString(dir.resolve("short-secret"), "abc12345\n");
        ConfigException weak = bad(oauth.replace("${env:PATH}", "${file:" + dir.resolve("short-secret") + "}") + "    allow: {users: [alice]}\n" + HUB);
        assertTrue(weak.getMessage().contains("server.hub_oauth.client_secret") && weak.getMessage().contains("at least 16 characters")
                && !weak.getMessage().contains("abc12345"), weak.getMessage());
        ConfigException recheck = bad(oauth + "    allow: {users: [alice]}\n    recheck: 2h\n" + HUB);
        assertTrue(recheck.getMessage().contains("server.hub_oauth.recheck"), recheck.getMessage());
        ConfigException typo = bad(oauth + "    allow: {group: [ops]}\n" + HUB);
        assertTrue(typo.getMessage().contains("group"), typo.getMessage());
    }

    @Test
    void aSharedHistoryIsPostgresqlWithAUserAndNeverBesideAFile() throws Exception {
        ConfigException both = bad("history: {path: data/h, url: \"jdbc:postgresql://db:5432/h\", user: u}\n" + HUB);
        assertTrue(both.getMessage().contains("history.url") && both.getMessage().contains("not both"), both.getMessage());
        ConfigException other = bad("history: {url: \"jdbc:mysql://db/h\", user: u}\n" + HUB);
        assertTrue(other.getMessage().contains("not a PostgreSQL JDBC URL"), other.getMessage());
        ConfigException noUser = bad("history: {url: \"jdbc:postgresql://db:5432/h\"}\n" + HUB);
        assertTrue(noUser.getMessage().contains("history.user"), noUser.getMessage());
        ConfigException clear = bad("history: {url: \"jdbc:postgresql://db:5432/h\", user: u, password: hunter2}\n" + HUB);
        assertTrue(clear.getMessage().contains("history.password") && !clear.getMessage().contains("hunter2"), clear.getMessage());
        LoadedConfig c = ServiceConfigLoader.load(write("history: {url: \"jdbc:postgresql://db:5432/h\", user: u, password: \"${env:PATH}\"}\n" + HUB));
        assertEquals("jdbc:postgresql://db:5432/h (user u)", c.historyWhere());
    }

    @Test
    void undeliverableNotificationsAreRetriedForGiveUpAfterWhichIsCheckedLikeTheOtherKeys() throws Exception {
        LoadedConfig defaults = ServiceConfigLoader.load(write(HUB));
        assertEquals(Duration.ofHours(24), defaults.delivery().giveUpAfter());
        assertEquals(Duration.ofSeconds(1), defaults.delivery().firstBackoff());
        assertEquals(Duration.ofMinutes(5), defaults.delivery().maxBackoff());
        LoadedConfig set = ServiceConfigLoader.load(write("alerting: {give_up_after: 2d, backoff: {first: 5s, max: 10m}}\n" + HUB));
        assertEquals(Duration.ofDays(2), set.delivery().giveUpAfter());
        assertEquals(Duration.ofSeconds(5), set.delivery().firstBackoff());
        assertEquals(Duration.ofMinutes(10), set.delivery().maxBackoff());
        ConfigException unit = bad("alerting: {give_up_after: 24}\n" + HUB);
        assertEquals("alerting.give_up_after", unit.keyPath());
        assertTrue(unit.getMessage().contains("'24'"), unit.getMessage());
        ConfigException shorter = bad("alerting: {give_up_after: 1m}\n" + HUB);
        assertEquals("alerting.give_up_after", shorter.keyPath());
        assertTrue(shorter.getMessage().contains("'1m'") && shorter.getMessage().contains("alerting.backoff.max (5m)"), shorter.getMessage());
        ConfigException inverted = bad("alerting: {backoff: {first: 10m}}\n" + HUB);
        assertEquals("alerting.backoff.first", inverted.keyPath());
        assertTrue(inverted.getMessage().contains("'10m'") && inverted.getMessage().contains("hubprobe.yml"), inverted.getMessage());
    }

    @Test
    void listedTlsEndpointsHaveATimeoutOfTheirOwnTenSecondsUnlessSet() throws Exception {
        assertEquals(Duration.ofSeconds(10), ServiceConfigLoader.load(write(HUB)).probes().get(0).probe().timeouts().tls());
        LoadedConfig set = ServiceConfigLoader.load(write("defaults: {timeouts: {tls: 3s}}\n" + HUB));
        assertEquals(Duration.ofSeconds(3), set.probes().get(0).probe().timeouts().tls());
        assertEquals(Duration.ofSeconds(30), set.probes().get(0).probe().timeouts().hub(), "the hub's budget is its own");
        ConfigException bad = bad("defaults: {timeouts: {tls: ten}}\n" + HUB);
        assertEquals("defaults.timeouts.tls", bad.keyPath());
        assertTrue(bad.getMessage().contains("'ten'"), bad.getMessage());
    }

    @Test
    void keyNestedOneLevelOff() throws Exception {
        // incident 5: a chart upgrade nested a key one level too deep; ours says where
        ConfigException e = bad("""
                hubs:
                  - name: staging
                    url: https://staging.example.org
                    auth:
                      token: "${env:PATH}"
                      probes: [{probe: kernel-smoke}]
                """);
        assertEquals("hubs[0].auth.probes", e.keyPath());
        assertEquals(7, e.line());
        assertTrue(e.getMessage().contains("unknown key 'probes'"), e.getMessage());
    }

    /** ui.max_browsers: two Chromiums at once unless set; a bad value names its key path and value. */
    @Test
    void uiMaxBrowsersIsTwoUnlessSetAndCheckedLikeTheOtherKeys() throws Exception {
        assertEquals(2, ServiceConfigLoader.load(write(HUB)).maxBrowsers());
        assertEquals(5, ServiceConfigLoader.load(write("ui: {max_browsers: 5}\n" + HUB)).maxBrowsers());
        ConfigException e = bad("ui: {max_browsers: 0}\n" + HUB);
        assertEquals("ui.max_browsers", e.keyPath());
        assertTrue(e.getMessage().contains("'0'"), e.getMessage());
    }

    @Test
    void badDuration() throws Exception {
        ConfigException e = bad(HUB.replace("interval: 2m", "interval: 2 minutes"));
        assertEquals("hubs[0].probes[0].interval", e.keyPath());
        assertEquals(8, e.line());
        assertTrue(e.getMessage().contains("'2 minutes'"), e.getMessage());
    }

    @Test
    void missingProbeFile() throws Exception {
        ConfigException e = bad(HUB.replace("probe: kernel-smoke", "probe: kernel-smok"));
        assertEquals("hubs[0].probes[0].probe", e.keyPath());
        assertEquals(8, e.line());
        assertTrue(e.getMessage().contains("kernel-smok.yml does not exist"), e.getMessage());
    }

    @Test
    void aProbeWithFilesOfItsOwnIsFoundInAFolderOfItsName() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("probes/notebook-example"));
        for (String f : new String[] {"notebook-example.yml", "week1.ipynb"}) {
            Files.copy(Path.of("probes/notebook-example", f), folder.resolve(f));
        }
        LoadedConfig c = ServiceConfigLoader.load(write(HUB.replace("probe: kernel-smoke", "probe: notebook-example")));
        ProbeDefinition p = c.probes().get(0).probe();
        assertEquals("notebook-example", p.name());
        assertEquals(4, p.cells().size(), "the notebook's code cells, read relative to the probe file");
    }

    @Test
    void duplicateHubName() throws Exception {
        ConfigException e = bad(HUB + HUB.replace("hubs:\n", ""));
        assertEquals("hubs[1].name", e.keyPath());
        assertEquals(9, e.line());
        assertTrue(e.getMessage().contains("duplicate hub name 'staging'"), e.getMessage());
    }

    @Test
    void unsetEnvironmentVariable() throws Exception {
        ConfigException e = bad(HUB.replace("${env:PATH}", "${env:HUBPROBE_TEST_SURELY_UNSET}"));
        assertEquals("hubs[0].auth.token", e.keyPath());
        assertEquals(5, e.line());
        assertTrue(e.getMessage().contains("HUBPROBE_TEST_SURELY_UNSET is not set"), e.getMessage());
    }

    @Test
    void secretWrittenInClearIsRefusedWithoutEchoingIt() throws Exception {
        ConfigException e = bad(HUB.replace("${env:PATH}", "abcdef0123456789"));
        assertEquals("hubs[0].auth.token", e.keyPath());
        assertFalse(e.getMessage().contains("abcdef0123456789"), e.getMessage());
    }

    @Test
    void badHubNameAndUrl() throws Exception {
        assertEquals("hubs[0].name", bad(HUB.replace("name: staging", "name: Staging Hub")).keyPath());
        assertEquals("hubs[0].url", bad(HUB.replace("https://staging.example.org", "staging.example.org")).keyPath());
    }

    @Test
    void missingFileIsNamed() {
        ConfigException e = assertThrows(ConfigException.class, () -> ServiceConfigLoader.load(dir.resolve("none.yml")));
        assertTrue(e.getMessage().endsWith("none.yml: file does not exist"), e.getMessage());
    }

    @Test
    void shutdownWaitsLongEnoughForTheLongestCleanup() throws Exception {
        LoadedConfig c = ServiceConfigLoader.load(write("defaults: {timeouts: {cleanup: 3m}}\n" + HUB));
        // kernel_shutdown and stop each have the cleanup budget; SIGTERM must not cut them short
        assertTrue(c.shutdownGrace().compareTo(Duration.ofMinutes(6)) > 0, c.shutdownGrace()::toString);
    }

    /**
     * A grace over the 300 s the README and the Dockerfile tell people to give docker stop / Kubernetes:
     * the start warns, naming the stop timeout to raise and to what; the default timeouts fit.
     */
    @Test
    void aStopLongerThanTheSuggestedContainerTimeoutIsWarnedAboutNamingWhatToRaise() throws Exception {
        assertEquals(null, dev.hubprobe.probe.StopBounds.overContainerStop(ServiceConfigLoader.load(write(HUB)).shutdownGrace(), "serve's stop"),
                "4 min 45 s with the default timeouts fits");
        LoadedConfig c = ServiceConfigLoader.load(write("defaults: {timeouts: {cleanup: 3m}}\n" + HUB));
        String w = dev.hubprobe.probe.StopBounds.overContainerStop(c.shutdownGrace(), "serve's stop");
        long s = c.shutdownGrace().toSeconds();
        assertTrue(w != null && w.contains("terminationGracePeriodSeconds: " + s) && w.contains("docker stop -t " + s), String.valueOf(w));
        assertTrue(w.contains("timeouts.cleanup"), w);
    }

    /** After the stop's cleanup budget the run's token is deleted, within a hub budget of its own: the grace covers both. */
    @Test
    void shutdownWaitsLongEnoughForTheTokenDeleteAfterTheCleanup() throws Exception {
        LoadedConfig c = ServiceConfigLoader.load(write("defaults: {timeouts: {cleanup: 10s, hub: 90s}}\n" + HUB));
        // kernel_shutdown 10 s + stop 10 s + the token delete 90 s
        assertTrue(c.shutdownGrace().compareTo(Duration.ofSeconds(110)) >= 0, c.shutdownGrace()::toString);
    }

    @Test
    void trustedProxiesAreAddressBlocksNamedByTheirKeyPath() throws Exception {
        ConfigException e = bad("server: {trusted_proxies: [\"10.0.0.0/8\", \"10.0.0/8\"]}\n" + HUB);
        assertTrue(e.getMessage().contains("hubprobe.yml") && e.getMessage().contains("server.trusted_proxies[1]")
                && e.getMessage().contains("'10.0.0/8'"), e.getMessage());
        ConfigException name = bad("server: {trusted_proxies: [ingress.example.org]}\n" + HUB);
        assertTrue(name.getMessage().contains("server.trusted_proxies[0]") && name.getMessage().contains("'ingress.example.org'"),
                name.getMessage());
        ConfigException prefix = bad("server: {trusted_proxies: [\"fd00::/200\"]}\n" + HUB);
        assertTrue(prefix.getMessage().contains("prefix length must be 0 to 128"), prefix.getMessage());
        LoadedConfig c = ServiceConfigLoader.load(write("server: {trusted_proxies: [\"10.0.0.0/8\", \"fd00::/8\"]}\n" + HUB));
        assertEquals(List.of(dev.hubprobe.config.Cidr.parse("10.0.0.0/8"), dev.hubprobe.config.Cidr.parse("fd00::/8")), c.trustedProxies());
        assertEquals(List.of(), ServiceConfigLoader.load(write(HUB)).trustedProxies(), "none by default");
    }

    @Test
    void aReadTokenIsASecretLikeTheOthers() throws Exception {
        ConfigException e = bad("server: {read_token: in-clear-text}\n" + HUB);
        assertTrue(e.getMessage().contains("server.read_token"), e.getMessage());
        assertFalse(e.getMessage().contains("in-clear-text"), e.getMessage());
        assertEquals(System.getenv("PATH"), ServiceConfigLoader.load(write("server: {read_token: \"${env:PATH}\"}\n" + HUB))
                .readToken().reveal());
    }

    @Test
    void binderEntriesAndTlsSettingsAreCheckedWithTheirKeyPaths() throws Exception {
        ConfigException both = bad("""
                hubs:
                  - name: b
                    url: https://hub.example.org
                    binder: {url: "https://binder.example.org", repo: gh/org/repo/main}
                    probes: [{probe: kernel-smoke}]
                """);
        assertTrue(both.getMessage().contains("hubs[0].binder") && both.getMessage().contains("instead of url"), both.getMessage());
        ConfigException repo = bad("""
                hubs:
                  - name: b
                    binder: {url: "https://binder.example.org", repo: "not a repo"}
                    probes: [{probe: kernel-smoke}]
                """);
        assertTrue(repo.getMessage().contains("hubs[0].binder.repo: 'not a repo' is not PROVIDER/SPEC"), repo.getMessage());
        ConfigException address = bad(HUB + "    tls_endpoints: [{name: k8s-api, address: \"10.0.0.5\"}]\n");
        assertTrue(address.getMessage().contains("hubs[0].tls_endpoints[0].address: '10.0.0.5' is not host:port"), address.getMessage());
        ConfigException hubName = bad(HUB + "    tls_endpoints: [{name: hub, address: \"10.0.0.5:6443\"}]\n");
        assertTrue(hubName.getMessage().contains("hubs[0].tls_endpoints[0].name"), hubName.getMessage());
        ConfigException levels = bad("alerting: {tls: {warn_days: 3, critical_days: 7}}\n" + HUB);
        assertTrue(levels.getMessage().contains("alerting.tls"), levels.getMessage());

        LoadedConfig ok = ServiceConfigLoader.load(write(HUB + "    tls_endpoints: [{name: k8s-api, address: \"10.0.0.5:6443\"}]\n"
                + "  - name: pythia-binder\n    binder: {url: \"https://binder.example.org\", repo: gh/org/repo/main}\n"
                + "    probes: [{probe: kernel-smoke}]\n"));
        assertEquals(List.of(new ProbeTarget.Endpoint("k8s-api", "10.0.0.5", 6443)), ok.probes().get(0).target().tls().endpoints());
        assertEquals("gh/org/repo/main", ok.probes().get(1).target().binder().repo());
    }

    @Test
    void failuresAreConfirmedByDefaultAndAHubOrTheWholeConfigCanTurnItOff() throws Exception {
        assertTrue(ServiceConfigLoader.load(write(HUB)).policy("staging").confirm(), "alerting.failure.confirm defaults to true");
        assertFalse(ServiceConfigLoader.load(write("alerting: {failure: {confirm: false}}\n" + HUB)).policy("staging").confirm());
        LoadedConfig perHub = ServiceConfigLoader.load(write(HUB.replace("    user: hubprobe-bot\n",
                "    user: hubprobe-bot\n    alerting: {failure: {confirm: false}}\n")));
        assertFalse(perHub.policy("staging").confirm());
        ConfigException e = bad("alerting: {failure: {confirm: sometimes}}\n" + HUB);
        assertEquals("alerting.failure.confirm", e.keyPath());
        assertTrue(e.getMessage().contains("sometimes"), e.getMessage());
    }

    /**
     * The confirming run's pause is alerting.failure.confirm_after (20 s by default, per hub like
     * confirm): a hub restart or helm upgrade shorter than it no longer pages with fire_after: 2.
     */
    @Test
    void theConfirmingRunsPauseIsConfirmAfterTwentySecondsByDefaultAndPerHub() throws Exception {
        assertEquals(Duration.ofSeconds(20), ServiceConfigLoader.load(write(HUB)).policy("staging").confirmAfter());
        assertEquals(Duration.ofMinutes(1),
                ServiceConfigLoader.load(write("alerting: {failure: {confirm_after: 1m}}\n" + HUB)).policy("staging").confirmAfter());
        LoadedConfig perHub = ServiceConfigLoader.load(write("alerting: {failure: {confirm_after: 1m}}\n" + HUB.replace(
                "    user: hubprobe-bot\n", "    user: hubprobe-bot\n    alerting: {failure: {confirm_after: 45s}}\n")));
        assertEquals(Duration.ofSeconds(45), perHub.policy("staging").confirmAfter());
        ConfigException word = bad("alerting: {failure: {confirm_after: soon}}\n" + HUB);
        assertEquals("alerting.failure.confirm_after", word.keyPath());
        assertTrue(word.getMessage().contains("soon"), word.getMessage());
        ConfigException zero = bad(HUB.replace("    user: hubprobe-bot\n", "    user: hubprobe-bot\n    alerting: {failure: {confirm_after: 0s}}\n"));
        assertEquals("hubs[0].alerting.failure.confirm_after", zero.keyPath());
        assertTrue(zero.getMessage().contains("0s"), zero.getMessage());
    }
}
