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

    /**
     * Everything but our own markup (the emoji, the bold, the link's brackets) is escaped: the summary
     * names a hub and the description carries the hub's own error text and package names.
     */
    @Override
    public void deliver(AlertEvent event) throws Exception {
        Alert a = event.alert();
        String summary = Texts.mrkdwn(Texts.cut(a.annotations().getOrDefault("summary", a.alertname()), Texts.ANNOTATION_MAX));
        String head = switch (event.type()) {
            case FIRING -> ":red_circle: *" + summary + "*";
            case REMINDER -> ":hourglass: still: *" + summary + "*";
            case RESOLVED -> ":large_green_circle: resolved: *" + summary + "*";
        };
        StringBuilder text = new StringBuilder(head);
        if (event.type() != AlertEvent.Type.RESOLVED && a.annotations().containsKey("description")) {
            text.append("\n").append(Texts.mrkdwn(Texts.cut(a.annotations().get("description"), Texts.ANNOTATION_MAX)));
        }
        if (a.annotations().containsKey("run_url")) {
            // a | would end the address and start the link's text
            text.append("\n<").append(Texts.mrkdwn(a.annotations().get("run_url").replace("|", "%7C"))).append("|the run>");
        }
        JsonPost.post("slack", webhookUrl.reveal(), Json.object().put("text", text.toString()));
    }
}
