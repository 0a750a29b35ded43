package dev.hubprobe.web;

import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.ResponseFilter;
import io.micronaut.http.annotation.ServerFilter;

/**
 * A browser that asks for a path nothing serves, or sends what cannot be read, gets a page that says
 * so, in the pages' own style; other clients keep the JSON error. The pages' own answers are left alone.
 */
@ServerFilter("/**")
public class BrowserErrors {
    @ResponseFilter
    public void html(HttpRequest<?> request, MutableHttpResponse<?> response) {
        int code = response.code();
        if (code != 404 && code != 400) {
            return;
        }
        // our own pages carry a Content-Security-Policy; anything else (Micronaut's own error page) is replaced
        if (!Html.wanted(request) || response.getHeaders().contains("Content-Security-Policy")) {
            return;
        }
        HttpStatus status = HttpStatus.valueOf(code);
        String message = code == 404 ? "nothing at " + dev.hubprobe.json.Json.abbreviate(request.getPath(), 100)
                : "the request could not be read (" + status.getReason() + ")";
        MutableHttpResponse<Object> r = (MutableHttpResponse<Object>) response;
        r.body(Html.problem(status, message)).contentType(MediaType.TEXT_HTML + ";charset=utf-8");
        r.header("Content-Security-Policy", WebController.CSP);
    }
}
