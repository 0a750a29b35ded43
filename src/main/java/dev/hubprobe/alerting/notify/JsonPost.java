package dev.hubprobe.alerting.notify;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * POSTs JSON to a receiver and sorts the outcome: 2xx delivered, 429/5xx or no answer retryable,
 * any other status final. Messages never include the URL: for Slack and webhooks it is the secret.
 */
final class JsonPost {
    private static final OkHttpClient HTTP = new OkHttpClient.Builder()
            .connectTimeout(Duration.ofSeconds(5)).readTimeout(Duration.ofSeconds(10)).callTimeout(Duration.ofSeconds(15))
            .followRedirects(false).build();

    private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");

    private JsonPost() {
    }

    static void post(String receiver, String url, JsonNode body) throws Exception {
        Request request = new Request.Builder().url(url).post(RequestBody.create(body.toString(), JSON))
                .header("User-Agent", "hubprobe").build();
        try (Response r = HTTP.newCall(request).execute()) {
            if (r.isSuccessful()) {
                return;
            }
            String why = receiver + " answered " + r.code();
            if (r.code() == 429 || r.code() >= 500) {
                throw new Notifier.RetryableException(why);
            }
            throw new IllegalStateException(why);
        } catch (IOException e) {
            throw new Notifier.RetryableException(receiver + " did not answer: " + e.getClass().getSimpleName());
        }
    }
}
