package dev.hubprobe.prometheus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.hubprobe.testhub.Postgres;
import dev.hubprobe.testhub.PromStack;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import dev.hubprobe.testhub.Service;
import dev.hubprobe.testhub.TestCertificates;
import dev.hubprobe.testhub.TlsProxy;
import java.time.Duration;
import java.time.Instant;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.TreeMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus scrapes a hubprobe that probes the real hub (healthy, failing, and a
 * Kubernetes-style spawn with a scale-up). Every PromQL expression of the shipped rules and dashboard
 * is valid, every metric it names has series, and every label it groups or matches on exists.
 */
@ExtendWith(RealHubExtension.class)
class PrometheusIT {
    private static final Pattern SELECTOR = Pattern.compile("(hubprobe_[a-z_]+)(\\{[^}]*})?");
    private static final Pattern GROUPING = Pattern.compile("\\b(?:by|on|ignoring)\\s*\\(([^)]*)\\)");
    private final RealHub hub = RealHub.shared();

    @TempDir
    Path dir;

    @Test
    void everyExpressionOfTheRulesAndDashboardFindsSeries() throws Exception {
        scrapeAndCheck(1, "{path: data/h}", Map.of());
    }

    /**
     * Three replicas on one PostgreSQL, each scraped: every expression is right across them, one series
     * per (hub, probe) (no replica's copy of a pair's state leaks through as a series of its own).
     */
    @Test
    void threeReplicasScrapedTogetherGiveOneSeriesPerPairInEveryExpression() throws Exception {
        String url = Postgres.shared().newDatabase();
        scrapeAndCheck(3, "{url: \"" + url + "\", user: " + Postgres.USER + ", password: \"${env:PG_PASSWORD}\"}",
                Map.of("PG_PASSWORD", Postgres.PASSWORD));
    }

    private void scrapeAndCheck(int replicas, String history, Map<String, String> extraEnv) throws Exception {
        Path probes = Files.createDirectories(dir.resolve("probes"));
        Files.copy(RealHub.basedir().resolve("probes/kernel-smoke.yml"), probes.resolve("kernel-smoke.yml"));
        Files.writeString(probes.resolve("scale-up.yml"), """
                user_options: {fault: k8s, scale_up: 1, pull: 0.5}
                expect_scale_up: true
                cells: [{code: "print(1); print('hubprobe-measure: cell_seconds 250 ms')", expect: {output_contains: "1"}}]
                measurements: {cell_seconds: {max: 60s, histogram: true}}
                """);
        // a TLS endpoint the healthy hub lists (a stand-in for its Kubernetes API server), for the expiry series
        TestCertificates certs = new TestCertificates(dir);
        TlsProxy k8s = TlsProxy.start(certs.leaf("k8s", "localhost", Instant.now().minus(Duration.ofDays(1)),
                Instant.now().plus(Duration.ofDays(40))), 0, hub.port(), dir.resolve("tls.log"));
        Files.writeString(dir.resolve("hubprobe.yml"), """
                probes_dir: probes
                history: %7$s
                defaults: {interval: 6s}
                scheduler: {jitter: 2s}
                alerting:
                  regression: {min_samples: 2, recent: 1}
                  # a receiver that is down (nothing listens there): the broken hub's page waits, for the outbox series
                  notifiers: [{webhook: {url: "${env:HOOK_URL}"}}]
                hubs:
                  - {name: healthy, url: %1$s, auth: {token: "${env:HUB_TOKEN}"}, user: %2$s, probes: [{probe: kernel-smoke}],
                     tls: {ca_file: %5$s}, tls_endpoints: [{name: k8s-api, address: "localhost:%6$s"}]}
                  # on KubeSpawner profiles (a series each, with a profile label), beside the healthy hub's plain series
                  - {name: broken, url: %1$s, auth: {token: "${env:HUB_TOKEN}"}, user: %3$s, probes: [{probe: kernel-smoke, profile: gpu-small}]}
                  - {name: cluster, url: %1$s, auth: {token: "${env:HUB_TOKEN}"}, user: %4$s, probes: [{probe: scale-up, profile: cpu}]}
                """.formatted(hub.url(), RealHub.user("ok"), RealHub.user("fail"), RealHub.user("ok"), certs.caFile(), k8s.port(), history));
        Map<String, String> env = new HashMap<>(extraEnv);
        env.put("HUB_TOKEN", hub.serviceToken());
        env.put("HOOK_URL", "http://127.0.0.1:" + RealHub.freePort() + "/hook");
        List<Service> services = new ArrayList<>();
        try (k8s) {
            for (int i = 0; i < replicas; i++) {
                services.add(Service.start(dir.resolve("hubprobe.yml"), env, dir.resolve("svc-" + i + ".log")));
            }
            String targets = String.join(", ", services.stream().map(s -> "\"" + s.url().replace("http://", "") + "\"").toList());
            try (PromStack prom = PromStack.prometheus(dir, """
                    global: {scrape_interval: 1s, evaluation_interval: 1s}
                    rule_files: [%s]
                    scrape_configs:
                      - job_name: hubprobe
                        static_configs: [{targets: [%s]}]
                    """.formatted(RealHub.basedir().resolve("config/prometheus/hubprobe-rules.yml"), targets))) {
                check(prom, replicas);
            }
            measurementsOnTheApiAndPages(services.get(0));
        } finally {
            for (Service s : services) {
                s.close();
            }
        }
    }

    /** The measurement Prometheus scraped is in the history the API and the pages read too. */
    private static void measurementsOnTheApiAndPages(Service service) throws Exception {
        JsonNode runs = service.json("/api/v1/runs?hub=cluster&status=passed&limit=1");
        JsonNode run = (runs.isArray() ? runs : runs.path("runs")).get(0);
        assertEquals("cell_seconds", run.path("measurements").get(0).path("name").asText(), run::toString);
        assertEquals(0.25, run.path("measurements").get(0).path("value").asDouble(), 1e-9);
        assertEquals("seconds", run.path("measurements").get(0).path("unit").asText());
        String page = service.get("/runs/" + run.path("run_id").asText()).body();
        assertTrue(page.contains("data-measurement=\"cell_seconds\"><th scope=\"row\">cell_seconds</th><td class=\"num\">0.25 s</td>"), page);
        String hubPage = service.get("/hubs/cluster").body();
        assertTrue(hubPage.contains("<th scope=\"row\">cell_seconds</th>") && hubPage.contains("class=\"series\""), hubPage);
    }

    private void check(PromStack prom, int replicas) throws Exception {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        List<String> rules = new ArrayList<>();
        yaml.readTree(RealHub.basedir().resolve("config/prometheus/hubprobe-rules.yml").toFile()).path("groups")
                .forEach(g -> g.path("rules").forEach(r -> rules.add(r.path("expr").asText())));
        // enough runs for baselines (3 passing runs) and failures, then a minute of samples. The failing rule
        // counts failures by increase() over what Prometheus saw: the replicas started before it did, and a
        // failure a replica made before its first scrape is in its counter's first sample, which increase()
        // never counts. So wait for the rule itself, not for the counters' sum.
        long deadline = System.nanoTime() + 180_000_000_000L;
        while (prom.query("hubprobe_phase_baseline_seconds{hub=\"cluster\",phase=\"spawn_scale_up\"}").path("result").isEmpty()
                || prom.query("sum(hubprobe_failures_total{hub=\"broken\"}) >= 2").path("result").isEmpty()
                || prom.query("count(up{job=\"hubprobe\"} == 1) == " + replicas).path("result").isEmpty()
                || prom.query(rules.get(0)).path("result").isEmpty()) {
            assertTrue(System.nanoTime() < deadline, "no baselines, failures or failing rule scraped in 3 minutes");
            Thread.sleep(1000);
        }
        Thread.sleep(15_000); // rate() over the dashboard's 1m windows needs a few samples
        List<String> panels = new ArrayList<>();
        JsonNode dash = new ObjectMapper().readTree(RealHub.basedir().resolve("config/grafana/hubprobe.json").toFile());
        dash.path("panels").forEach(p -> p.path("targets").forEach(t -> panels.add(grafana(t.path("expr").asText()))));
        assertEquals(9, rules.size());
        assertTrue(panels.size() >= 10);
        List<String> annotations = new ArrayList<>();
        dash.path("annotations").path("list").forEach(a -> {
            if (a.has("expr")) {
                annotations.add(grafana(a.path("expr").asText()));
            }
        });
        assertEquals(1, annotations.size(), "the environment-change annotation");
        // one process without a shared database has no cluster: its cluster series are absent, as documented
        boolean clustered = replicas > 1;
        for (String expr : annotations) {
            onePerSeries(prom.query(expr), expr); // valid PromQL; it finds nothing until an environment changes
            namesExist(prom, expr, clustered);
        }
        for (String expr : rules) {
            onePerSeries(prom.query(expr), expr); // valid PromQL
            namesExist(prom, expr, clustered);
        }
        for (String expr : panels) {
            JsonNode result = prom.query(expr);
            if (clustered || !expr.contains("hubprobe_cluster_")) {
                assertFalse(result.path("result").isEmpty(), "dashboard expression finds nothing: " + expr);
            }
            onePerSeries(result, expr);
            namesExist(prom, expr, clustered);
        }
        // a measurement from a cell reaches Prometheus as the last value, in seconds, and as a histogram
        JsonNode measured = prom.query("max by (hub, probe, name) (hubprobe_measurement{name=\"cell_seconds\"})").path("result");
        assertEquals(1, measured.size(), measured::toString);
        assertEquals("cluster", measured.get(0).path("metric").path("hub").asText());
        assertEquals(0.25, measured.get(0).path("value").get(1).asDouble(), 1e-9);
        assertFalse(prom.query("sum by (hub, probe, name) (hubprobe_measurement_value_count{name=\"cell_seconds\"}) > 0")
                .path("result").isEmpty(), "the histogram of a measurement its probe asks one of");
        // the variable that lists hubs
        assertEquals(3, prom.query("count by (hub) (hubprobe_probe_success)").path("result").size());
        // the failing rule finds the failing hub, once however many replicas serve it
        JsonNode failing = prom.query(rules.get(0)).path("result");
        assertEquals(1, failing.size(), failing::toString);
        assertEquals("broken", failing.get(0).path("metric").path("hub").asText());
        assertEquals("gpu-small", failing.get(0).path("metric").path("profile").asText(), failing::toString);
        // and the runs the replicas made add up: each pair's count across instances is what the history holds
        JsonNode status = prom.query("max by (hub, probe) (hubprobe_probe_success)").path("result");
        assertEquals(3, status.size(), status::toString);
        if (clustered) {
            assertEquals("3", prom.query("max(hubprobe_cluster_members)").path("result").get(0).path("value").get(1).asText());
        }
    }

    /**
     * No series of an expression's result is a replica's copy: none carries {@code instance}, and no two
     * have the same labels once {@code instance} and {@code job} are set aside.
     */
    private static void onePerSeries(JsonNode data, String expr) {
        Set<Map<String, String>> seen = new HashSet<>();
        for (JsonNode r : data.path("result")) {
            assertFalse(r.path("metric").has("instance"), () -> "a series per replica (aggregate the instance away): " + expr + " -> " + r);
            Map<String, String> labels = new TreeMap<>();
            r.path("metric").fields().forEachRemaining(f -> labels.put(f.getKey(), f.getValue().asText()));
            labels.remove("job");
            assertTrue(seen.add(labels), () -> "two series for " + labels + ": " + expr);
        }
    }

    /** Grafana's variables, as Grafana would fill them for "All" over the last hour. */
    private static String grafana(String expr) {
        return expr.replace("$__rate_interval", "1m").replace("$__interval", "1m").replace("$__range", "1h").replace("\"$hub\"", "\".*\"");
    }

    private static void namesExist(PromStack prom, String expr, boolean clustered) throws Exception {
        Set<String> metrics = new LinkedHashSet<>();
        Matcher m = SELECTOR.matcher(expr);
        while (m.find()) {
            String selector = m.group(0);
            if (!clustered && m.group(1).startsWith("hubprobe_cluster_")) {
                continue;
            }
            // a skipped run is counted when it happens; replicas skip one only when Quartz misfires it, which
            // a short run need not see (the one-process run, whose runs overlap its 6 s interval, checks the name)
            if (clustered && m.group(1).equals("hubprobe_schedule_misfires_total")) {
                continue;
            }
            metrics.add(m.group(1));
            assertFalse(prom.query("count(" + selector + ")").path("result").isEmpty(), "no series for " + selector + " in: " + expr);
        }
        if (metrics.isEmpty()) {
            return;
        }
        String anyOf = "{__name__=~\"" + String.join("|", metrics) + "\"";
        Matcher g = GROUPING.matcher(expr);
        while (g.find()) {
            for (String label : g.group(1).split(",")) {
                String l = label.trim();
                if (!l.isEmpty()) {
                    assertFalse(prom.query("count(" + anyOf + ", " + l + "!=\"\"})").path("result").isEmpty(),
                            "label '" + l + "' is on none of " + metrics + " in: " + expr);
                }
            }
        }
    }
}
