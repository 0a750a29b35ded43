package dev.hubprobe.jupyter.kernel;

import dev.hubprobe.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hubprobe.jupyter.Deadline;
import dev.hubprobe.jupyter.DeadlineException;
import dev.hubprobe.jupyter.HttpStatusException;
import dev.hubprobe.jupyter.JupyterHttp;
import dev.hubprobe.jupyter.ProtocolException;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.LongSupplier;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Jupyter Server's kernel API under one server URL ({@code .../user/NAME/}). The OkHttp client passed in
 * carries the authentication (a token header, or the browser session's cookies and xsrf header).
 */
public final class KernelClient {
    private final OkHttpClient http;
    private final OkHttpClient websocket;
    private final JupyterHttp rest;
    /** Client errors that are a timeout or a rate limit (nginx's 499: the client gave up), not a refused upgrade. */
    private static final Set<Integer> NOT_REFUSALS = Set.of(408, 429, 499);
    private final HttpUrl serverUrl;
    private final BrowserOrigin origin;
    private final LongSupplier nanoTime;

    /** @param deadline the current phase's deadline, which every call here obeys (the hub client's) */
    public KernelClient(OkHttpClient http, HttpUrl serverUrl, Deadline deadline) {
        this.http = http;
        // Jupyter Server may hold the upgrade until the kernel answers kernel_info (up to 60 s): the
        // channel's own deadline, not the read timeout, decides how long that may take.
        // The server's URL's origin: where a browser would have loaded the notebook page from.
        this.origin = new BrowserOrigin(serverUrl);
        this.websocket = http.newBuilder().readTimeout(Duration.ofSeconds(90)).callTimeout(Duration.ZERO)
                .addInterceptor(origin).build();
        this.rest = new JupyterHttp(http, deadline);
        this.serverUrl = serverUrl.encodedPath().endsWith("/") ? serverUrl
                : serverUrl.newBuilder().encodedPath(serverUrl.encodedPath() + "/").build();
        this.nanoTime = deadline::now;
    }

    HttpUrl api(String... segments) {
        HttpUrl.Builder b = serverUrl.newBuilder().addPathSegment("api");
        for (String s : segments) {
            b.addPathSegment(s);
        }
        return b.build();
    }

    /**
     * {@code GET /api}: the single-user server's version (Jupyter Server's, or the classic notebook
     * server's, which answers the same way), or empty when it does not say.
     */
    public Optional<String> serverVersion() {
        JsonNode node = rest.json(new Request.Builder().url(serverUrl.newBuilder().addPathSegment("api").build()).build(), 200);
        return node.hasNonNull("version") ? Optional.of(node.get("version").asText()) : Optional.empty();
    }

    /** {@code GET /api/kernelspecs}: the server's default kernel name. */
    public String defaultKernelName() {
        JsonNode node = rest.json(new Request.Builder().url(api("kernelspecs")).build(), 200);
        if (!node.hasNonNull("default")) {
            throw new ProtocolException("GET /api/kernelspecs answered without \"default\"");
        }
        return node.get("default").asText();
    }

    /** {@code POST /api/kernels}: starts a kernel of that spec. */
    public KernelModel start(String kernelName) {
        JsonNode body = Json.object().put("name", kernelName);
        return KernelModel.of(rest.json(new Request.Builder().url(api("kernels"))
                .post(JupyterHttp.jsonBody(body)).build(), 201, 200));
    }

    /** The kernel's model, or empty once the server no longer has it. */
    public Optional<KernelModel> get(String kernelId) {
        return get(kernelId, Long.MAX_VALUE);
    }

    /** As {@link #get(String)}, the call cut off after {@code capNanos}: a liveness poll must not hold up the channel. */
    Optional<KernelModel> get(String kernelId, long capNanos) {
        Request request = new Request.Builder().url(api("kernels", kernelId)).build();
        try (Response response = rest.send(request, capNanos)) {
            if (response.code() == 404) {
                return Optional.empty();
            }
            JupyterHttp.check(request, response, 200);
            return Optional.of(KernelModel.of(JupyterHttp.parse(request, rest.body(request, response))));
        }
    }

    /**
     * {@code POST /api/kernels/ID/interrupt}: stops the code the kernel is running (a cell past its
     * deadline) so that what is sent next runs; the server answers 204 at once, the kernel stops soon after.
     */
    public void interrupt(String kernelId) {
        rest.call(new Request.Builder().url(api("kernels", kernelId, "interrupt"))
                .post(JupyterHttp.jsonBody(Json.object())).build(), 204, 200);
    }

    /** Shuts the kernel down; a kernel already gone counts as deleted. */
    public void delete(String kernelId) {
        rest.call(new Request.Builder().url(api("kernels", kernelId)).delete().build(), 204, 404);
    }

    /**
     * Opens the kernel's channels websocket (the JSON protocol: no subprotocol is offered) and waits
     * until the kernel answers {@code kernel_info}, or {@code deadlineNanos} passes.
     */
    public KernelChannel connect(String kernelId, long deadlineNanos) {
        HttpUrl url = api("kernels", kernelId, "channels").newBuilder()
                .addQueryParameter("session_id", UUID.randomUUID().toString()).build();
        KernelChannel channel = new KernelChannel(websocket, url, kernelId, id -> get(id, KernelChannel.POLL_CAP_NANOS), nanoTime);
        try {
            try {
                channel.awaitOpen(deadlineNanos);
            } catch (HttpStatusException e) {
                throw upgradeRefused(e, url, kernelId);
            }
            channel.kernelInfo(deadlineNanos);
            return channel;
        } catch (RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * What a refused upgrade means. A 4xx for the channels URL itself, after the same session's REST calls
     * just worked, is the websocket being refused (Jupyter Server's own origin check answers 403, so does an
     * ingress), except: 408, 429 and 499 (a timeout or a rate limit, which say nothing about websockets, so
     * they keep their usual mapping), and a 404 while the kernel's model is gone or dead (that kernel died).
     * A 5xx stays as it was.
     */
    private RuntimeException upgradeRefused(HttpStatusException e, HttpUrl url, String kernelId) {
        if (!url.encodedPath().equals(e.path()) || e.status() < 400 || e.status() >= 500 || NOT_REFUSALS.contains(e.status())) {
            return e;
        }
        if (e.status() == 404) {
            try {
                Optional<KernelModel> model = get(kernelId, KernelChannel.POLL_CAP_NANOS);
                if (model.isEmpty() || model.get().dead()) {
                    return e;
                }
            } catch (DeadlineException | HttpStatusException known) {
                // the phase ran out (kernel_timeout), or the model itself was refused (a 403 is auth_error):
                // either says more than the 404, and neither is evidence of a dead kernel
                return known;
            } catch (RuntimeException unknown) {
                return e; // cannot tell: leave the 404 as it was (kernel_died)
            }
        }
        return new WebsocketRejectedException("the kernel websocket's upgrade was refused with " + e.status()
                + " (" + e.getMessage() + ") although the REST calls to the server worked; it carried Origin: "
                + origin.value() + ", as a browser's does. " + hint(e.status()), e.status(), e);
    }

    /** Where to look, by status: only an origin check tells browsers apart from other clients. */
    private static String hint(int status) {
        return switch (status) {
            case 400 -> "A 400 on an upgrade is usually a proxy that strips Upgrade or Connection: it refuses every"
                    + " client, not only browsers. Look at the ingress or proxy in front of the server (websocket"
                    + " upgrades must be passed through)";
            case 401, 403 -> "Clients without Origin (scripts, older probes) may still get through while browsers are"
                    + " refused: look at the ingress or proxy in front of the server (websocket upgrades, Host and"
                    + " Origin headers) and the server's allow_origin";
            case 404 -> "The kernel is alive, so the websocket path is not routed: look at the ingress or proxy in"
                    + " front of the server (its routes for websocket upgrades)";
            default -> "Look at the ingress or proxy in front of the server (websocket upgrades, Host and Origin"
                    + " headers) and the server's allow_origin";
        };
    }
}
