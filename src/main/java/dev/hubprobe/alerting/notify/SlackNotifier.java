package dev.hubprobe.alerting.notify;

import dev.hubprobe.json.Json;
import dev.hubprobe.alerting.Alert;
import dev.hubprobe.alerting.AlertEvent;
import dev.hubprobe.config.Secret;

/** A Slack incoming webhook: one message when an alert fires, reminds, and resolves. */
public final class SlackNotifier implements Notifier {
    private final Secret webhookUrl;

    public SlackNotifier(Secret webhookUrl) {
        this.webhookUrl = webhookUrl;
    }

    @Override
    public String name() {
        return "slack";
    }

    @Override
    public void deliver(AlertEvent event) throws Exception {
        Alert a = event.alert();
        String head = switch (event.type()) {
            case FIRING -> ":red_circle: *" + a.annotations().getOrDefault("summary", a.alertname()) + "*";
            case REMINDER -> ":hourglass: still: *" + a.annotations().getOrDefault("summary", a.alertname()) + "*";
            case RESOLVED -> ":large_green_circle: resolved: *" + a.annotations().getOrDefault("summary", a.alertname()) + "*";
        };
        StringBuilder text = new StringBuilder(head);
        if (event.type() != AlertEvent.Type.RESOLVED && a.annotations().containsKey("description")) {
            text.append("\n").append(a.annotations().get("description"));
        }
        if (a.annotations().containsKey("run_url")) {
            text.append("\n<").append(a.annotations().get("run_url")).append("|the run>");
        }
        JsonPost.post("slack", webhookUrl.reveal(), Json.object().put("text", text.toString()));
    }
}
