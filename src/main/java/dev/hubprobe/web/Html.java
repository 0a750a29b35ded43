package dev.hubprobe.web;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** Escaping and the few formats every page shares. All text from a hub or a run goes through {@link #esc}. */
public final class Html {
    private static final DateTimeFormatter MINUTE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter SECOND = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    /**
     * The path every URL the pages emit starts with: {@code server.base_path}, "/" without it. Set once at
     * start, before the server takes a request: like the server's context path it comes from, it is fixed
     * for the process's life (a reload does not move the service), so the renderers need not carry it.
     */
    private static volatile String base = "/";

    private Html() {
    }

    /** Sets the base path ("/" or "/a/b/"): by {@code serve} at start, and by tests. */
    public static void basePath(String path) {
        if (path == null || !path.startsWith("/") || !path.endsWith("/")) {
            throw new IllegalArgumentException("a base path starts and ends with '/': " + path);
        }
        base = path;
    }

    public static String basePath() {
        return base;
    }

    /** A URL of this service for a page, a link or a redirect: {@code "hubs/x"} is {@code /services/hubprobe/hubs/x} under that base. */
    public static String url(String relative) {
        return base + (relative.startsWith("/") ? relative.substring(1) : relative);
    }

    /**
     * A series' probe, as people read it: {@code probe@profile} (the key a probe on a KubeSpawner profile is
     * stored under) becomes the probe's name and its profile, as the status page shows them. Escaped.
     */
    static String probe(String series) {
        String profile = dev.hubprobe.probe.ProbeKey.profileOf(series);
        return esc(dev.hubprobe.probe.ProbeKey.probeOf(series))
                + (profile.isEmpty() ? "" : " <span class=\"profile\">profile " + esc(profile) + "</span>");
    }

    /** {@link #probe} as plain text, for titles: {@code kernel-smoke (profile gpu-small)}. Not escaped. */
    static String probeText(String series) {
        String profile = dev.hubprobe.probe.ProbeKey.profileOf(series);
        return dev.hubprobe.probe.ProbeKey.probeOf(series) + (profile.isEmpty() ? "" : " (profile " + profile + ")");
    }

    public static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** A path segment for a link (hub and probe names are [a-z0-9-], run ids UUIDs; this is for safety's sake). */
    static String seg(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** A {@code <time>} element: machine-readable, and in words for people. */
    static String time(Instant t, Instant now) {
        if (t == null) {
            return "never";
        }
        return "<time datetime=\"" + t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + "\">" + ago(t, now) + "</time>";
    }

    static String minute(Instant t) {
        return t == null ? "" : MINUTE.format(t);
    }

    public static String second(Instant t) {
        return t == null ? "" : SECOND.format(t);
    }

    static String ago(Instant t, Instant now) {
        long s = Math.max(0, Duration.between(t, now).toSeconds());
        if (s < 60) {
            return s + " s ago";
        }
        if (s < 3600) {
            return s / 60 + " min ago";
        }
        if (s < 86400) {
            return s / 3600 + " h ago";
        }
        return s / 86400 + " d ago";
    }

    static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.3f s", d.toNanos() / 1e9);
    }

    static String duration(Duration d) {
        long s = d.toSeconds();
        if (s < 60) {
            return s + " s";
        }
        if (s < 3600) {
            return s / 60 + " min " + s % 60 + " s";
        }
        return s / 3600 + " h " + s % 3600 / 60 + " min";
    }

    static String percent(Double ratio) {
        if (ratio == null) {
            return "–";
        }
        // always two decimals, rounded down: 100.00% beside 0.00%, and never 100.00% while a run failed
        // clamped: a day row that missed runs (a replica of the release before) must not print -3% or 104%
        double r = Math.max(0, Math.min(1, ratio));
        return String.format(Locale.ROOT, "%.2f%%", Math.floor(r * 10_000 + 1e-9) / 100);
    }

    /** Whether the client asked for a page (a browser) rather than JSON. */
    static boolean wanted(io.micronaut.http.HttpRequest<?> request) {
        String accept = request.getHeaders().get("Accept");
        return accept != null && accept.contains("text/html");
    }

    /** The page for a 404 or a 400: what was wrong, in words, and the way back. */
    static String problem(io.micronaut.http.HttpStatus status, String message) {
        String body = "<header class=\"top\"><h1>" + (status == io.micronaut.http.HttpStatus.NOT_FOUND ? "Not found" : "Bad request")
                + "</h1></header><main><p id=\"problem\">" + esc(message) + "</p><p><a href=\"" + url("") + "\">The status page</a></p></main>";
        return page(status.getReason(), body, false);
    }

    /** The whole document around a page's body: one stylesheet, one script, nothing from elsewhere. */
    static String page(String title, String body, boolean charts) {
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                + "<meta name=\"color-scheme\" content=\"light dark\">"
                + "<title>" + esc(title) + "</title>"
                + "<link rel=\"icon\" href=\"data:,\">"
                + "<link rel=\"stylesheet\" href=\"" + url("static/web/status.css") + "\">"
                + (charts ? "<link rel=\"stylesheet\" href=\"" + url("static/uplot/uPlot.min.css") + "\">"
                + "<script src=\"" + url("static/uplot/uPlot.iife.min.js") + "\" defer></script>" : "")
                + "<script src=\"" + url("static/web/status.js") + "\" defer></script>"
                // the script's own requests go under the same base (status.js reads it here)
                + "</head><body data-base=\"" + esc(base) + "\">" + body + "</body></html>\n";
    }
}
