package dev.hubprobe.jupyter.hub;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One event of {@code /hub/api/users/NAME/server/progress}. {@code raw} is the whole JSON object,
 * so spawner-specific fields (KubeSpawner's {@code raw_event}) stay available to callers.
 *
 * @param receivedNanos monotonic arrival time, from the clock the stream was opened with
 */
public record ProgressEvent(Integer progress, String message, boolean ready, boolean failed, String url,
                            JsonNode raw, long receivedNanos) {

    static ProgressEvent of(JsonNode node, long receivedNanos) {
        return new ProgressEvent(
                node.hasNonNull("progress") && node.get("progress").canConvertToInt()
                        ? node.get("progress").asInt() : null,
                node.path("message").asText(""),
                node.path("ready").asBoolean(false),
                node.path("failed").asBoolean(false),
                node.hasNonNull("url") ? node.get("url").asText() : null,
                node,
                receivedNanos);
    }

    /** The same event as {@code other}, received again: a reopened stream replays the spawn's events. */
    public boolean sameAs(ProgressEvent other) {
        return raw.equals(other.raw);
    }

    /** The Kubernetes event KubeSpawner forwarded with this progress event, if any. */
    public JsonNode rawEvent() {
        JsonNode e = raw.get("raw_event");
        return e == null || e.isNull() ? null : e;
    }
}
