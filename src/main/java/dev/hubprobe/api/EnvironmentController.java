package dev.hubprobe.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hubprobe.environment.Environment;
import dev.hubprobe.environment.EnvironmentDiff;
import dev.hubprobe.history.EnvironmentStore;
import dev.hubprobe.json.Json;
import dev.hubprobe.report.JsonReport;
import dev.hubprobe.service.ServiceState;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import jakarta.inject.Inject;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The user environments a hub's runs saw: which, when, and what changed between two of them. Read
 * from the history like every other view; reads need the read token when one is set.
 */
@Controller("/api/v1/hubs/{hub}/environments")
@ExecuteOn(TaskExecutors.BLOCKING)
public class EnvironmentController {
    private static final Pattern FINGERPRINT = Pattern.compile("[0-9a-f]{16}");

    @Inject
    ServiceState state;

    /** The fingerprints seen, the most recently seen first. */
    @Get(produces = MediaType.APPLICATION_JSON)
    public HttpResponse<?> list(@PathVariable String hub, @QueryValue @Nullable String probe) {
        ArrayNode out = Json.array();
        for (EnvironmentStore.Seen s : state.history().environments().seen(hub, probe, 500)) {
            out.addObject().put("fingerprint", s.fingerprint()).put("image", s.image()).put("python", s.python())
                    .put("packages", s.packages()).put("truncated", s.truncated())
                    .put("first_seen", s.firstSeen().toString()).put("last_seen", s.lastSeen().toString()).put("runs", s.runs());
        }
        return HttpResponse.ok(out);
    }

    /** What changed from one environment of the hub to another. */
    @Get(uri = "/diff", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<?> diff(@PathVariable String hub, @QueryValue @Nullable String from, @QueryValue @Nullable String to) {
        if (from == null || to == null) {
            return ApiController.error(HttpStatus.BAD_REQUEST, "from and to are required: two fingerprints of this hub's environments");
        }
        Optional<Environment> before = lookUp(hub, from);
        Optional<Environment> after = lookUp(hub, to);
        if (before.isEmpty() || after.isEmpty()) {
            return notFound(hub, before.isEmpty() ? "from" : "to", before.isEmpty() ? from : to);
        }
        EnvironmentDiff d = EnvironmentDiff.between(before.get(), after.get());
        ObjectNode out = Json.object().put("hub", hub).put("from", from).put("to", to)
                .put("summary", d.summary(EnvironmentDiff.SUMMARY_ENTRIES));
        out.set("diff", JsonReport.diff(d));
        return HttpResponse.ok(out);
    }

    /** One environment with its whole package list. */
    @Get(uri = "/{fingerprint}", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<?> one(@PathVariable String hub, @PathVariable String fingerprint) {
        return lookUp(hub, fingerprint).<HttpResponse<?>>map(env -> {
            ObjectNode o = Json.object().put("fingerprint", env.fingerprint()).put("image", env.image())
                    .put("python", env.python()).put("package_count", env.packageCount()).put("truncated", env.truncated());
            o.set("packages", Json.mapper().valueToTree(env.packages()));
            return HttpResponse.ok(o);
        }).orElseGet(() -> notFound(hub, "fingerprint", fingerprint));
    }

    private Optional<Environment> lookUp(String hub, String fingerprint) {
        return FINGERPRINT.matcher(fingerprint).matches() ? state.history().environments().find(hub, fingerprint) : Optional.empty();
    }

    private static HttpResponse<?> notFound(String hub, String what, String value) {
        String shown = Json.abbreviate(value, 40);
        return FINGERPRINT.matcher(value).matches()
                ? ApiController.error(HttpStatus.NOT_FOUND, what + ": no run of hub '" + hub + "' saw environment '" + shown + "'")
                : ApiController.error(HttpStatus.BAD_REQUEST, what + ": '" + shown + "' is not a fingerprint (16 hex digits)");
    }
}
