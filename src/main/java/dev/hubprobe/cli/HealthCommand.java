package dev.hubprobe.cli;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hubprobe health}: exit 0 when a running service answers /health, for container health checks. */
@Command(name = "health", mixinStandardHelpOptions = true, description = "Exit 0 if the service at --url is healthy, 1 if not.")
public final class HealthCommand implements Callable<Integer> {
    @Option(names = "--url", defaultValue = "http://127.0.0.1:8080/health", description = "Default: ${DEFAULT-VALUE}.")
    String url;

    @Override
    public Integer call() {
        OkHttpClient http = new OkHttpClient.Builder().callTimeout(4, TimeUnit.SECONDS).build();
        try (Response r = http.newCall(new Request.Builder().url(url).build()).execute()) {
            return r.isSuccessful() ? Main.PASSED : Main.FAILED;
        } catch (Exception e) {
            return Main.FAILED;
        } finally {
            http.dispatcher().executorService().shutdown();
        }
    }
}
