package dev.hubprobe.jupyter.binder;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hubprobe.json.Json;
import dev.hubprobe.jupyter.Deadline;
import dev.hubprobe.jupyter.JupyterHttp;
import dev.hubprobe.jupyter.ProtocolException;
import dev.hubprobe.jupyter.hub.HubClientSettings;
import dev.hubprobe.jupyter.hub.ProgressStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import okhttp3.Call;
import okhttp3.Dispatcher;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * A BinderHub client, from its documented API: {@code GET /health}, and {@code GET /build/<repo>},
 * whose event stream builds (or finds) the image and launches it, ending with the launched server's
 * URL and a token for it. The server is then used, and shut down, through its own API: the probe
 * has no hub token for a Binder user.
 */
public final class BinderClient implements AutoCloseable {
    /** One check of {@code /health}; {@code ignored} ones (the pod quota) are reported, not failed on. */
    public record Check(String service, boolean ok, boolean ignored) {
    }

    /**
     * What {@code /health} said: the status, BinderHub's own verdict and checks, or, for an answer
     * without JSON (BinderHub's 500 when its Kubernetes client raises), an excerpt of the body.
     */
    public record Health(int status, boolean ok, List<Check> checks, String excerpt) {
        public List<Check> failing() {
            return checks.stream().filter(c -> !c.ok() && !c.ignored()).toList();
        }

        public boolean healthy() {
            return excerpt == null && status < 500 && ok && failing().isEmpty();
        }
    }

    private final HttpUrl base;
    private final OkHttpClient http;
    private final OkHttpClient streaming;
    private final JupyterHttp rest;
    private final Deadline deadline;

    private BinderClient(HttpUrl base, HubClientSettings settings, Deadline deadline) {
        this.base = base.encodedPath().endsWith("/") ? base : base.newBuilder().encodedPath(base.encodedPath() + "/").build();
        this.deadline = deadline;
        this.http = settings.clientBuilder()
                .addInterceptor(chain -> chain.proceed(chain.request().newBuilder().header("User-Agent", settings.userAgent()).build()))
                .build();
        // a build may stream for many minutes; BinderHub sends a heartbeat every 30 s
        this.streaming = http.newBuilder().callTimeout(Duration.ZERO).readTimeout(Duration.ofSeconds(90)).build();
        this.rest = new JupyterHttp(http, deadline);
    }

    public static BinderClient create(HttpUrl base, HubClientSettings settings, Deadline deadline) {
        return new BinderClient(base, settings, deadline);
    }

    public HttpUrl baseUrl() {
        return base;
    }

    /** {@code GET /health}. */
    public Health health() {
        Request request = new Request.Builder().url(base.resolve("health")).build();
        try (Response response = rest.send(request)) {
            String body = rest.body(request, response);
            JsonNode node;
            try {
                node = Json.parse(body);
            } catch (IOException e) {
                node = null;
            }
            if (node == null || !node.isObject() || !node.has("ok")) {
                if (response.isSuccessful()) {
                    throw new ProtocolException("GET /health answered " + response.code() + " without {\"ok\", \"checks\"}");
                }
                // an error page: its text, not its markup
                return new Health(response.code(), false, List.of(), Json.abbreviate(body.replaceAll("<[^>]*>", " "), 200));
            }
            List<Check> checks = new ArrayList<>();
            node.path("checks").forEach(c -> checks.add(new Check(Json.cap(c.path("service").asText("?"), 100), c.path("ok").asBoolean(false),
                    c.path("_ignore_failure").asBoolean(false))));
            return new Health(response.code(), node.path("ok").asBoolean(false), List.copyOf(checks), null);
        }
    }

    /** {@code GET /build/<repo>}: the build-and-launch event stream ({@code repo} as BinderHub spells it). */
    public ProgressStream build(String repo) {
        HttpUrl url = base.newBuilder().addPathSegment("build").addEncodedPathSegments(repo).build();
        return new ProgressStream(streaming, new Request.Builder().url(url).header("Accept", "text/event-stream")
                .tag(BuildStream.class, new BuildStream()).build(), deadline::now);
    }

    /** A client for the launched server: its token goes to that server's origin only. */
    public OkHttpClient serverClient(HttpUrl server, String token) {
        return http.newBuilder().addInterceptor(chain -> {
            Request r = chain.request();
            return chain.proceed(JupyterHttp.sameOrigin(server, r.url()) ? r.newBuilder().header("Authorization", "token " + token).build() : r);
        }).build();
    }

    /** {@code POST {server}api/shutdown}: the launched server stops itself. */
    public void shutdown(HttpUrl server, OkHttpClient serverHttp) {
        Request request = new Request.Builder().url(server.resolve("api/shutdown"))
                .post(RequestBody.create(new byte[0])).build();
        new JupyterHttp(serverHttp, deadline).call(request, 200, 202, 204);
    }

    /**
     * Cancels every call in flight but the build's event stream (a stop mid-probe). Ending the stream is
     * the run's choice: once BinderHub is launching, the server it hands over on that stream is one
     * only its token can stop, so the run reads on to it.
     */
    public void cancelCalls() {
        Dispatcher d = http.dispatcher();
        java.util.stream.Stream.concat(d.runningCalls().stream(), d.queuedCalls().stream())
                .filter(call -> call.request().tag(BuildStream.class) == null)
                .forEach(Call::cancel);
    }

    /** Marks the build's event stream among the client's calls. */
    private record BuildStream() {
    }

    @Override
    public void close() {
        JupyterHttp.shutdown(http);
    }
}
