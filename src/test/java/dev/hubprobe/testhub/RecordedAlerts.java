package dev.hubprobe.testhub;

import dev.hubprobe.alerting.AlertEngine;
import dev.hubprobe.alerting.AlertEvent;
import dev.hubprobe.alerting.AlertPolicy;
import dev.hubprobe.alerting.AlertStore;
import dev.hubprobe.alerting.notify.Dispatcher;
import dev.hubprobe.alerting.notify.Outbox;
import dev.hubprobe.alerting.notify.Notifier;
import dev.hubprobe.history.HistoryStore;
import dev.hubprobe.probe.RunResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The real alert engine over a throwaway history with the shipped default policy (a page after two
 * failed runs in a row, as config/hubprobe.yml sets too), with a notifier that records what it was told.
 */
public final class RecordedAlerts implements AutoCloseable {
    private final List<AlertEvent> events = new CopyOnWriteArrayList<>();
    private final HistoryStore history;
    private final AlertEngine engine;

    public RecordedAlerts(Path dir) {
        history = HistoryStore.open(dir.resolve("alerts-history"));
        Notifier recorder = new Notifier() {
            @Override
            public String name() {
                return "recorder";
            }

            @Override
            public void deliver(AlertEvent event) {
                events.add(event);
            }
        };
        engine = new AlertEngine(new AlertStore(history.dataSource()), new Dispatcher(List.of(recorder),
                new Outbox(history.dataSource(), "test", Clock.systemUTC()),
                new SimpleMeterRegistry(), new Dispatcher.Retry(Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofMinutes(1))), history, hub -> AlertPolicy.DEFAULTS, new SimpleMeterRegistry(),
                Clock.systemUTC(), "http://hubprobe.test", Duration.ofHours(1));
    }

    /**
     * Records the runs as the service would, in order, and returns the page they caused (waiting briefly
     * for delivery); the runs before the last must not have paged yet.
     */
    public AlertEvent page(RunResult... runs) throws InterruptedException {
        for (int i = 0; i < runs.length - 1; i++) {
            history.accept(runs[i]);
            engine.accept(runs[i]);
        }
        Thread.sleep(200);
        if (!events.isEmpty()) {
            throw new AssertionError("paged before the policy's run count: " + events.get(0).alert().annotations());
        }
        RunResult r = runs[runs.length - 1];
        int before = events.size();
        history.accept(r);
        engine.accept(r);
        for (int i = 0; i < 100 && events.size() == before; i++) {
            Thread.sleep(20);
        }
        if (events.size() == before) {
            throw new AssertionError("no page for the run of " + r.probe() + " on " + r.hub() + ": " + r.reason());
        }
        return events.get(events.size() - 1);
    }

    @Override
    public void close() {
        engine.close();
        history.close();
    }
}
