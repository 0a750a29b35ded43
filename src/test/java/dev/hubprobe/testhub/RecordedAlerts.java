package dev.hubprobe.testhub;

import dev.hubprobe.alerting.AlertEngine;
import dev.hubprobe.alerting.AlertEvent;
import dev.hubprobe.alerting.AlertPolicy;
import dev.hubprobe.alerting.AlertStore;
import dev.hubprobe.alerting.notify.Dispatcher;
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
 * The real alert engine over a throwaway history, paging on the first failure (the incidents ask for a
 * page within one probe interval), with a notifier that records what it was told.
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
        AlertPolicy pageAtOnce = new AlertPolicy(1, 2, Duration.ofHours(4), "page", false, Duration.ofDays(30), 10, 3, 2.0,
                Duration.ofSeconds(30), 1.5, List.of());
        engine = new AlertEngine(new AlertStore(history.dataSource()), new Dispatcher(List.of(recorder),
                new SimpleMeterRegistry(), Duration.ofMillis(50), 1), history, hub -> pageAtOnce, new SimpleMeterRegistry(),
                Clock.systemUTC(), "http://hubprobe.test", Duration.ofHours(1));
    }

    /** Records the run as the service would, and returns the page it caused (waiting briefly for delivery). */
    public AlertEvent page(RunResult r) throws InterruptedException {
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
