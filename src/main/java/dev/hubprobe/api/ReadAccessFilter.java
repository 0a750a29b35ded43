package dev.hubprobe.api;

import dev.hubprobe.service.ServiceState;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpMethod;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ServerFilter;
import jakarta.inject.Inject;

/**
 * Every read ({@code GET /metrics}, {@code GET /api/...}) needs {@code server.read_token} when one is
 * configured: one check for all of them, so a new endpoint cannot forget it. /health stays open.
 */
@ServerFilter(value = {"/metrics", "/api/**"}, methods = HttpMethod.GET)
public class ReadAccessFilter {
    @Inject
    ServiceState state;

    /** The refusal, or null to let the request through. */
    @RequestFilter
    @Nullable
    public HttpResponse<?> check(HttpRequest<?> request) {
        return ApiController.authorizeRead(state, request.getHeaders().get("Authorization")).orElse(null);
    }
}
