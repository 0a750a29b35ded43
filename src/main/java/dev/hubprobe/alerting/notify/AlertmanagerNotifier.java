package dev.hubprobe.alerting.notify;

import dev.hubprobe.json.Json;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hubprobe.alerting.Alert;
import dev.hubprobe.alerting.AlertEvent;
import java.time.Instant;
import java.util.List;

/**
 * Alertmanager API v2 ({@code POST /api/v2/alerts}), to every configured instance (an HA cluster
 * deduplicates). Alertmanager resolves an alert it stops hearing about, so firing alerts are sent
 * again periodically by the engine (reminders to this notifier) until hubprobe sends {@code endsAt}.
 */
public final class AlertmanagerNotifier implements Notifier {
    private final List<String> urls;
    private final String generatorUrl;

    public AlertmanagerNotifier(List<String> urls, String generatorUrl) {
        this.urls = urls.stream().map(u -> u.endsWith("/") ? u.substring(0, u.length() - 1) : u).toList();
        this.generatorUrl = generatorUrl;
    }

    @Override
    public String name() {
        return "alertmanager";
    }

    @Override
    public boolean wantsResends() {
        return true;
    }

    @Override
    public void deliver(AlertEvent event) throws Exception {
        Alert a = event.alert();
        ArrayNode body = Json.array();
        ObjectNode o = body.addObject();
        ObjectNode labels = o.putObject("labels");
        event.labels().forEach(labels::put);
        ObjectNode annotations = o.putObject("annotations");
        Texts.cutAll(a.annotations(), Texts.ANNOTATION_MAX).forEach(annotations::put);
        o.put("startsAt", (a.startsAt() == null ? Instant.now() : a.startsAt()).toString());
        if (event.type() == AlertEvent.Type.RESOLVED) {
            o.put("endsAt", (a.endsAt() == null ? Instant.now() : a.endsAt()).toString());
        }
        if (generatorUrl != null) {
            o.put("generatorURL", generatorUrl);
        }
        // Sent to every instance, as Prometheus does; delivered when any instance took it (an HA cluster
        // shares it, and the periodic re-send reaches one that was down). Only when none did is it
        // retried and counted as failed.
        Exception last = null;
        boolean accepted = false;
        for (String url : urls) {
            try {
                JsonPost.post("alertmanager", url + "/api/v2/alerts", body);
                accepted = true;
            } catch (Exception e) {
                last = e;
            }
        }
        if (!accepted && last != null) {
            throw last;
        }
    }

}
