package dev.hubprobe.web;

import dev.hubprobe.alerting.Alert;
import dev.hubprobe.alerting.AlertStore;
import dev.hubprobe.history.PageQueries;
import dev.hubprobe.probe.ProbeKey;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.schedule.ScheduledProbe;
import dev.hubprobe.service.ServiceState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * What the status page shows, read at once from the history and the alert state (the page keeps no
 * state of its own): each configured (hub, probe) with its state, last run, last success and uptime;
 * the alerts firing, maintenance in force, and the incidents of the last 30 days.
 */
record Board(Instant now, Map<String, List<Row>> hubs, List<Alert> alerts, List<Maintenance> maintenance,
             List<AlertStore.Incident> incidents) {

    /** A probe's state in words; never shown by colour alone. */
    enum State {
        PASSING("Passing"), DEGRADED("Degraded"), FAILING("Failing"), UNKNOWN("No run yet"), MAINTENANCE("Maintenance");

        final String words;

        State(String words) {
            this.words = words;
        }

        String css() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** The worse of two, for a hub's headline: failing over degraded over the rest. */
        State worse(State o) {
            return rank() >= o.rank() ? this : o;
        }

        private int rank() {
            return switch (this) {
                case FAILING -> 4;
                case DEGRADED -> 3;
                case MAINTENANCE -> 2;
                case UNKNOWN -> 1;
                case PASSING -> 0;
            };
        }
    }

    /** @param failingSince when a failing probe's current failure began (its first failed run since it last passed), else null */
    record Row(ProbeKey key, State state, RunResult last, Instant lastSuccess, PageQueries.Uptime uptime, Instant failingSince) {
    }

    record Maintenance(String hub, String what, Instant until) {
    }

    static Board read(ServiceState state, Predicate<String> showHub) {
        return read(state, showHub, null);
    }

    /** The board of one hub (a badge): only that hub's rows and uptime are read. */
    static Board ofHub(ServiceState state, String hub) {
        return read(state, hub::equals, hub);
    }

    private static Board read(ServiceState state, Predicate<String> showHub, String onlyHub) {
        Instant now = Instant.now();
        List<ScheduledProbe> probes = state.config().probes().stream().filter(p -> showHub.test(p.hub())).toList();
        List<ProbeKey> keys = probes.stream().map(ScheduledProbe::key).toList();
        Map<ProbeKey, RunResult> latest = state.history().latest(keys, false);
        Map<ProbeKey, Instant> lastPass = state.history().pages().lastPassing(keys);
        Map<ProbeKey, PageQueries.Uptime> uptime = state.history().pages().uptime(now, onlyHub);
        List<Alert> firing = state.alerts().firing().stream().filter(a -> showHub.test(a.hub())).toList();
        List<Maintenance> maintenance = new ArrayList<>();
        Map<String, Boolean> hubInMaintenance = new LinkedHashMap<>();
        Map<String, List<Row>> hubs = new LinkedHashMap<>();
        Map<ProbeKey, Instant> failingLastPass = new LinkedHashMap<>();
        latest.forEach((k, r) -> {
            if (!r.passed()) {
                failingLastPass.put(k, lastPass.get(k));
            }
        });
        Map<ProbeKey, Instant> failingSince = state.history().pages().failingSince(failingLastPass);
        for (ScheduledProbe p : probes) {
            ProbeKey k = p.key();
            // once per hub: with replicas a silence is a database read
            boolean inMaintenance = hubInMaintenance.computeIfAbsent(p.hub(), hub -> {
                boolean window = state.config().policy(hub).inMaintenance(now);
                Optional<Instant> silenced = state.alerts().store().silencedUntil(hub).filter(now::isBefore);
                if (window) {
                    maintenance.add(new Maintenance(hub, "maintenance window in the configuration", null));
                }
                silenced.ifPresent(until -> maintenance.add(new Maintenance(hub, "silenced through the API", until)));
                return window || silenced.isPresent();
            });
            RunResult last = latest.get(k);
            State s;
            if (inMaintenance) {
                s = State.MAINTENANCE;
            } else if (last == null) {
                s = State.UNKNOWN;
            } else if (!last.passed()) {
                s = State.FAILING;
            } else if (firing.stream().anyMatch(a -> a.kind() == Alert.Kind.REGRESSION && a.probeKey().equals(k))) {
                s = State.DEGRADED;
            } else {
                s = State.PASSING;
            }
            hubs.computeIfAbsent(p.hub(), h -> new ArrayList<>()).add(new Row(k, s, last, lastPass.get(k),
                    uptime.getOrDefault(k, new PageQueries.Uptime(new int[3], new int[3])), s == State.FAILING ? failingSince.get(k) : null));
        }
        List<AlertStore.Incident> incidents = state.alerts().store().incidents(now.minus(Duration.ofDays(30)), 200).stream()
                .filter(i -> showHub.test(i.hub()) && i.kind() != Alert.Kind.TLS).toList();
        return new Board(now, hubs, firing, maintenance, incidents);
    }

    /** Changes whenever a run lands or an alert moves: the page swaps its live part only then. */
    String version() {
        StringBuilder b = new StringBuilder();
        hubs.values().forEach(rows -> rows.forEach(r -> b.append(r.last() == null ? "-" : r.last().runId()).append(r.state())));
        alerts.forEach(a -> b.append(a.key()));
        maintenance.forEach(m -> b.append(m.hub()));
        incidents.forEach(i -> b.append(i.startsAt()).append(i.endsAt()));
        return Integer.toHexString(b.toString().hashCode());
    }

    /** When the hub's current failure began: the earliest of its failing probes'. */
    static Instant failingSince(List<Row> rows) {
        return rows.stream().map(Row::failingSince).filter(java.util.Objects::nonNull).min(Instant::compareTo).orElse(null);
    }

    static State hubState(List<Row> rows) {
        State s = State.PASSING;
        for (Row r : rows) {
            s = s.worse(r.state());
        }
        return s;
    }
}
