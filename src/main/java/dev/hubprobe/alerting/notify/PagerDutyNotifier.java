package dev.hubprobe.alerting.notify;

import dev.hubprobe.json.Json;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hubprobe.alerting.Alert;
import dev.hubprobe.alerting.AlertEvent;
import dev.hubprobe.config.Secret;

/**
 * PagerDuty Events API v2: trigger on firing, resolve on recovery, one stable {@code dedup_key} per
 * alert so PagerDuty keeps one incident. Reminders are not sent: the incident is already open.
 */
public final class PagerDutyNotifier implements Notifier {
    public static final String EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";
    private final Secret routingKey;
    private final String url;

    public PagerDutyNotifier(Secret routingKey, String url) {
        this.routingKey = routingKey;
        this.url = url == null ? EVENTS_URL : url;
    }

    @Override
    public String name() {
        return "pagerduty";
    }

    @Override
    public void deliver(AlertEvent event) throws Exception {
        if (event.type() == AlertEvent.Type.REMINDER) {
            return;
        }
        Alert a = event.alert();
        ObjectNode body = Json.object().put("routing_key", routingKey.reveal())
                .put("event_action", event.type() == AlertEvent.Type.RESOLVED ? "resolve" : "trigger")
                .put("dedup_key", "hubprobe/" + a.key());
        if (event.type() == AlertEvent.Type.FIRING) {
            ObjectNode payload = body.putObject("payload").put("summary",
                            Texts.cut(a.annotations().getOrDefault("summary", a.alertname()), Texts.PAGERDUTY_SUMMARY_MAX))
                    .put("source", "hubprobe/" + a.hub()).put("severity", "critical").put("component", a.hub())
                    .put("group", a.probe()).put("class", a.annotations().getOrDefault("reason", a.kind().name().toLowerCase(java.util.Locale.ROOT)));
            ObjectNode details = payload.putObject("custom_details");
            Texts.cutAll(a.annotations(), Texts.ANNOTATION_MAX).forEach(details::put);
            if (a.annotations().containsKey("run_url")) {
                body.putArray("links").addObject().put("href", a.annotations().get("run_url")).put("text", "the failing run");
            }
        }
        JsonPost.post("pagerduty", url, body);
    }
}
