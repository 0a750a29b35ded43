package dev.hubprobe.alerting.notify;

import dev.hubprobe.json.Json;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hubprobe.alerting.Alert;
import dev.hubprobe.alerting.AlertEvent;
import dev.hubprobe.config.Secret;
import java.util.Locale;

/** Any HTTP endpoint: the alert as JSON, {@code status} firing, reminder or resolved. */
public final class WebhookNotifier implements Notifier {
    private final Secret url;

    public WebhookNotifier(Secret url) {
        this.url = url;
    }

    @Override
    public String name() {
        return "webhook";
    }

    @Override
    public void deliver(AlertEvent event) throws Exception {
        Alert a = event.alert();
        ObjectNode body = Json.object().put("status", event.type().name().toLowerCase(Locale.ROOT))
                .put("alertname", a.alertname()).put("key", a.key());
        ObjectNode labels = body.putObject("labels");
        event.labels().forEach(labels::put);
        ObjectNode annotations = body.putObject("annotations");
        Texts.cutAll(a.annotations(), Texts.ANNOTATION_MAX).forEach(annotations::put);
        body.put("starts_at", a.startsAt() == null ? null : a.startsAt().toString());
        body.put("ends_at", a.endsAt() == null ? null : a.endsAt().toString());
        JsonPost.post("webhook", url.reveal(), body);
    }
}
