package dev.hubprobe.environment;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hubprobe.json.Json;
import dev.hubprobe.jupyter.JupyterException;
import dev.hubprobe.jupyter.hub.ProgressEvent;
import dev.hubprobe.jupyter.kernel.ExecuteResult;
import dev.hubprobe.jupyter.kernel.KernelChannel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Asks a Python kernel, in one short execute after the probe's cells, what its environment is: the
 * image KubeSpawner named in {@code JUPYTER_IMAGE_SPEC}, Python's version, every distribution
 * {@code importlib.metadata} finds, and every conda package in {@code {sys.prefix}/conda-meta}
 * (native libraries such as {@code libsqlite} are only there). It never fails a run: a kernel that is
 * not Python, a capture that errs or takes longer than its budget, is a note and no environment.
 */
public final class EnvironmentCapture {
    /** Packages kept at most: a huge environment is still fingerprinted, its list cut (and flagged). */
    public static final int MAX_PACKAGES = 5000;
    /**
     * Characters kept of a package's name, version, build and channel, of the image and of Python's
     * version: the kernel's own cap runs in code the image controls, so the Java side keeps its own.
     */
    static final int MAX_NAME = 200;
    static final int MAX_IMAGE = 1000;
    static final int MAX_PYTHON = 64;
    private static final String MARKER = "HUBPROBE-ENVIRONMENT ";
    private static final Pattern PULLING = Pattern.compile("[Pp]ull(?:ing|ed) image \"([^\"]+)\"");
    /**
     * Compiled once: {@code String.replaceAll} compiles its pattern on every call, and a run normalises
     * every package name it captures (hundreds): in the service's profile that was most of what the
     * environment capture allocated (issue 25).
     */
    private static final Pattern SEPARATORS = Pattern.compile("[-_.]+");
    private static final Pattern TRAILING_SLASHES = Pattern.compile("/+$");

    /*
     * Runs in the user's kernel, so it must not leave anything behind in the user's namespace, must
     * import nothing the image may have broken (sqlite3 above all), and must stay fast on a large
     * environment: a conda record can be megabytes (its file list), so a big one is named from its
     * file name (name-version-build.json) and only its head is read for the channel.
     */
    private static final String CODE = """
            def _hubprobe_environment(limit):
                import json, os, re, sys
                import importlib.metadata as md
                norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
                out = {"image": os.environ.get("JUPYTER_IMAGE_SPEC") or os.environ.get("JUPYTER_IMAGE"),
                       "python": sys.version.split()[0], "conda": [], "pip": [], "truncated": False}
                meta = os.path.join(sys.prefix, "conda-meta")
                names = sorted(f for f in os.listdir(meta) if f.endswith(".json")) if os.path.isdir(meta) else []
                for f in names:
                    if len(out["conda"]) >= limit:
                        out["truncated"] = True
                        break
                    path = os.path.join(meta, f)
                    parts = f[:-5].rsplit("-", 2)
                    rec = {"name": parts[0], "version": parts[1] if len(parts) > 1 else "", "build": parts[2] if len(parts) > 2 else ""}
                    try:
                        if os.path.getsize(path) <= 262144:
                            with open(path, encoding="utf-8") as fh:
                                full = json.load(fh)
                            rec = {k: full.get(k, rec.get(k)) for k in ("name", "version", "build", "channel")}
                        else:
                            with open(path, encoding="utf-8", errors="replace") as fh:
                                m = re.search(r'"channel":\\s*"([^"]*)"', fh.read(16384))
                            rec["channel"] = m.group(1) if m else None
                    except (OSError, ValueError):
                        pass
                    out["conda"].append(rec)
                seen = set()
                for d in md.distributions():
                    if len(out["pip"]) + len(out["conda"]) >= limit:
                        out["truncated"] = True
                        break
                    name = d.metadata.get("Name") if d.metadata else None
                    if not name or norm(name) in seen:
                        continue
                    seen.add(norm(name))
                    out["pip"].append({"name": name, "version": d.version})
                print("HUBPROBE-ENVIRONMENT " + json.dumps(out))
            try:
                _hubprobe_environment(HUBPROBE_MAX_PACKAGES)
            finally:
                del _hubprobe_environment
            """.replace("HUBPROBE_MAX_PACKAGES", Integer.toString(MAX_PACKAGES)); // not formatted(): its %d loads the locale data

    private EnvironmentCapture() {
    }

    /**
     * Captures the environment through {@code channel}, by {@code deadlineNanos}.
     *
     * @param language    the kernel's {@code language_info.name}; nothing is run unless it is Python
     * @param spawnEvents the spawn's progress events, for the image a pull named
     * @param note        receives why nothing was captured
     */
    public static Optional<Environment> capture(KernelChannel channel, String language, long deadlineNanos,
                                                List<ProgressEvent> spawnEvents, Consumer<String> note) {
        if (language == null || !language.toLowerCase(Locale.ROOT).startsWith("python")) {
            note.accept("environment not captured: the kernel's language is " + (language == null ? "unknown" : "'" + language + "'")
                    + ", not Python");
            return Optional.empty();
        }
        ExecuteResult r;
        try {
            r = channel.execute(CODE, deadlineNanos);
        } catch (JupyterException | IllegalStateException e) {
            note.accept("environment not captured: " + Json.abbreviate(e.getMessage(), 200));
            return Optional.empty();
        }
        if (!r.ok()) {
            note.accept("environment not captured: " + r.errorName() + ": " + Json.abbreviate(r.errorValue(), 200));
            return Optional.empty();
        }
        try {
            return Optional.of(parse(r.stdout(), pulledImage(spawnEvents)));
        } catch (IOException | IllegalArgumentException e) {
            note.accept("environment not captured: the kernel's answer could not be read (" + Json.abbreviate(e.getMessage(), 200) + ")");
            return Optional.empty();
        }
    }

    /** Reads the capture's output line into an environment; conda's record wins over pip's for one package. */
    static Environment parse(String stdout, String pulledImage) throws IOException {
        int at = stdout.lastIndexOf(MARKER);
        if (at < 0) {
            throw new IOException("no environment line in the output");
        }
        int end = stdout.indexOf('\n', at);
        JsonNode json = Json.parse(stdout.substring(at + MARKER.length(), end < 0 ? stdout.length() : end));
        List<Package> packages = new ArrayList<>();
        java.util.Map<String, Package> conda = new java.util.HashMap<>();
        java.util.Set<String> names = new java.util.HashSet<>();
        boolean truncated = json.path("truncated").asBoolean(false);
        for (JsonNode c : json.path("conda")) {
            if (packages.size() >= MAX_PACKAGES) {
                truncated = true;
                break;
            }
            String name = Json.cap(normalise(c.path("name").asText()), MAX_NAME);
            Package p = new Package(name, Json.cap(c.path("version").asText(""), MAX_NAME),
                    Json.cap(text(c, "build"), MAX_NAME), Json.cap(channel(text(c, "channel")), MAX_NAME));
            if (conda.putIfAbsent(p.name(), p) == null) {
                packages.add(p);
                names.add(p.name());
            }
        }
        for (JsonNode d : json.path("pip")) {
            if (packages.size() >= MAX_PACKAGES) {
                truncated = true;
                break;
            }
            String name = Json.cap(normalise(d.path("name").asText()), MAX_NAME);
            String version = Json.cap(d.path("version").asText(""), MAX_NAME);
            Package same = conda.get(name);
            Package p = same == null ? new Package(name, version, null, null)
                    : same.version().equals(version) ? null
                    // pip installed over conda's copy: both are real, the import sees pip's
                    : new Package(Json.cap(name + " (pip)", MAX_NAME), version, null, null);
            if (p == null) {
                continue;
            }
            if (!names.add(p.name())) {
                // once: two names alike up to the cap no longer say which is which, and the list is cut
                truncated |= p.name().endsWith(Json.CUT);
                continue;
            }
            packages.add(p);
        }
        return Environment.captured(Json.cap(text(json, "image"), MAX_IMAGE), pulledImage, Json.cap(text(json, "python"), MAX_PYTHON),
                packages, truncated);
    }

    /** The image the spawn pulled, from KubeSpawner's Pulling/Pulled events; null without a pull. */
    static String pulledImage(List<ProgressEvent> events) {
        String image = null;
        for (ProgressEvent e : events) {
            JsonNode raw = e.rawEvent();
            if (raw != null && raw.path("reason").asText("").startsWith("Pull")) {
                Matcher m = PULLING.matcher(raw.path("message").asText(""));
                if (m.find()) {
                    image = m.group(1);
                }
            }
        }
        return image;
    }

    static String normalise(String name) {
        return SEPARATORS.matcher(name).replaceAll("-").toLowerCase(Locale.ROOT);
    }

    /** A conda channel as its name ("conda-forge"), not the URL of the mirror it came through. */
    private static String channel(String channel) {
        if (channel == null || channel.isBlank()) {
            return null;
        }
        String c = TRAILING_SLASHES.matcher(channel).replaceAll("");
        return c.substring(c.lastIndexOf('/') + 1);
    }

    private static String text(JsonNode o, String key) {
        JsonNode v = o.get(key);
        return v == null || v.isNull() || v.asText().isEmpty() ? null : v.asText();
    }
}
