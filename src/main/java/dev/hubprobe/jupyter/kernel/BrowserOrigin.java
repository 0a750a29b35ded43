package dev.hubprobe.jupyter.kernel;

import java.io.IOException;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Response;

/**
 * Sends {@code Origin} on the kernel websocket's upgrade, as every browser does. Jupyter Server (and
 * many proxies) skip their cross-origin checks for a request without it, "a non-browser client": a
 * probe that leaves it out passes where every student's browser is refused (an ingress that rewrites
 * {@code Host}, or blocks browsers' upgrades). The value is the user's server URL's origin, the page a
 * browser would have opened the notebook from (right for a hub whose servers live on subdomains too).
 * That URL comes from the configured hub URL: an internal one makes Origin equal Host, which proves nothing.
 */
final class BrowserOrigin implements Interceptor {
    private final String origin;

    BrowserOrigin(HttpUrl publicUrl) {
        this.origin = of(publicUrl);
    }

    /** {@code scheme://host[:port]}, the port only when not the scheme's default, as a browser serialises it. */
    static String of(HttpUrl url) {
        String host = url.host().contains(":") ? "[" + url.host() + "]" : url.host();
        boolean defaultPort = url.port() == HttpUrl.defaultPort(url.scheme());
        return url.scheme() + "://" + host + (defaultPort ? "" : ":" + url.port());
    }

    String value() {
        return origin;
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        return chain.proceed(chain.request().newBuilder().header("Origin", origin).build());
    }
}
