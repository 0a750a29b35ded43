package dev.hubprobe.browser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hubprobe.json.Json;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * One headless Chromium for one UI run, driven through its chromedriver with W3C WebDriver JSON over
 * OkHttp (a dozen endpoints: no WebDriver library on the service's class path, and nothing the
 * non-UI {@code check} loads). Debian's {@code chromium} and {@code chromium-driver}: nothing is
 * downloaded at run time.
 *
 * <p>Never left running: {@link #close()} ends the session, then kills chromedriver and every process
 * under it, and any process still naming this run's profile directory (a Chromium whose driver died
 * first is re-parented and no longer under it). A JVM shutdown hook closes every Chromium still open
 * (SIGTERM of the service or of {@code check}).
 */
public final class Chromium implements AutoCloseable {
    public static final String DRIVER = System.getProperty("hubprobe.chromedriver", "/usr/bin/chromedriver");
    private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");
    private static final String ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
    private static final Set<Chromium> OPEN = ConcurrentHashMap.newKeySet();
    /** The largest answer of chromedriver read: a 1280x900 screenshot is at most a few MiB of base64. */
    static final int MAX_REPLY = 16 * 1024 * 1024;

    /** Set by the shutdown hook, under {@link #OPEN}'s lock: no chromedriver starts after it has looked. */
    private static boolean stopping;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            synchronized (OPEN) {
                stopping = true;
            }
            killAll(List.copyOf(OPEN));
        }, "hubprobe-chromium-reaper"));
    }

    /**
     * Ends these browsers side by side: each may take its SIGTERM grace of 3 s and more, and one after
     * another, a service with a few open (ui.max_browsers) would outlast docker stop's 10 s and be killed
     * with them. Returns when all are ended, at most about 8 s.
     */
    static void killAll(List<Chromium> browsers) {
        List<Thread> threads = new ArrayList<>();
        for (Chromium c : browsers) {
            Thread t = new Thread(c::kill, "hubprobe-chromium-kill");
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
        for (Thread t : threads) {
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private final Process driver;
    private final Path profile;
    private final OkHttpClient http;
    private final String base;
    private volatile String session;
    private volatile boolean closed;

    /** For {@link #start}, and for a test that stands a process in for chromedriver. */
    Chromium(Process driver, Path profile, OkHttpClient http, String base) {
        this.driver = driver;
        this.profile = profile;
        this.http = http;
        this.base = base;
    }

    /**
     * Starts chromedriver and one Chromium under it.
     *
     * @param binary     the Chromium to run
     * @param nanoTime   the run's clock
     * @param deadline   when the start must be done, on {@code nanoTime}
     */
    public static Chromium start(String binary, LongSupplier nanoTime, long deadline) {
        return start(binary, nanoTime, deadline, List.of());
    }

    /**
     * Starts chromedriver and one Chromium that reaches only these origins ({@code host:port}, e.g. the
     * hub's and the user server's): every other request goes to a proxy that is not there and fails
     * ({@code net::ERR_PROXY_CONNECTION_FAILED} in the console). The run's {@code Authorization} header
     * ({@code Network.setExtraHTTPHeaders} adds it to every request, whatever its origin) and the hub's
     * cookies (which ignore ports) thus never reach a page, script, redirect or image elsewhere. Empty: no
     * confinement.
     */
    public static Chromium start(String binary, LongSupplier nanoTime, long deadline, List<String> onlyOrigins) {
        if (!new File(binary).canExecute()) {
            throw new BrowserException("the browser " + binary + " is not an executable file (Debian: apt-get install chromium)");
        }
        if (!new File(DRIVER).canExecute()) {
            throw new BrowserException(DRIVER + " is not an executable file (Debian: apt-get install chromium-driver)");
        }
        Path profile;
        int port;
        int deadProxy;
        try {
            reapOnce();
            profile = Files.createTempDirectory(PROFILE_PREFIX + ProcessHandle.current().pid() + "-");
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            // a port just freed on loopback: nothing listens there, so a proxied request fails at connect, unsent
            try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                deadProxy = s.getLocalPort();
            }
        } catch (IOException e) {
            throw new BrowserException("cannot prepare the browser's profile: " + e.getMessage());
        }
        // every call is short but the page load, which the page-load timeout of the session bounds
        OkHttpClient http = new OkHttpClient.Builder().connectTimeout(Duration.ofSeconds(2)).readTimeout(Duration.ofSeconds(90))
                .callTimeout(Duration.ofSeconds(120)).retryOnConnectionFailure(false).build();
        Chromium c;
        // started and registered under the hook's lock: a driver started as the JVM stops is either seen by
        // the hook or never started
        synchronized (OPEN) {
            if (stopping) {
                deleteTree(profile);
                throw new BrowserException("the prober is stopping: no browser is started");
            }
            try {
                c = new Chromium(new ProcessBuilder(DRIVER, "--port=" + port, "--allowed-ips=127.0.0.1")
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start(),
                        profile, http, "http://127.0.0.1:" + port);
            } catch (IOException e) {
                deleteTree(profile);
                throw new BrowserException("cannot start " + DRIVER + ": " + e.getMessage());
            }
            OPEN.add(c);
        }
        try {
            c.awaitDriver(nanoTime, deadline);
            List<String> confine = onlyOrigins.isEmpty() ? List.of() : List.of("--proxy-server=http://127.0.0.1:" + deadProxy,
                    // <-loopback>: without it Chromium sends every loopback origin direct, whatever its port
                    "--proxy-bypass-list=<-loopback>;" + String.join(";", onlyOrigins));
            c.newSession(binary, Math.max(1000, TimeUnit.NANOSECONDS.toMillis(deadline - nanoTime.getAsLong())), confine);
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** A profile directory's name: the prefix, the pid of the JVM that owns it, a random tail. */
    static final String PROFILE_PREFIX = "hubprobe-chromium-";
    private static final java.util.concurrent.atomic.AtomicBoolean REAPED = new java.util.concurrent.atomic.AtomicBoolean();

    private static void reapOnce() {
        if (REAPED.compareAndSet(false, true)) {
            reapLeftovers(Path.of(System.getProperty("java.io.tmpdir")));
        }
    }

    /**
     * What a JVM killed with SIGKILL left (no shutdown hook ran): its Chromiums, their chromedriver and
     * their profile directories in {@code tmp}. Only directories whose owning JVM (the pid in the name)
     * is gone are touched, and only processes naming exactly such a directory: another service or
     * {@code check} on the same host keeps its browsers.
     *
     * @return the leftover profiles removed
     */
    static int reapLeftovers(Path tmp) {
        List<Path> stale = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(tmp)) {
            dirs.filter(d -> d.getFileName().toString().startsWith(PROFILE_PREFIX)).forEach(d -> {
                String[] parts = d.getFileName().toString().substring(PROFILE_PREFIX.length()).split("-", 2);
                try {
                    long owner = Long.parseLong(parts[0]);
                    if (parts.length == 2 && ProcessHandle.of(owner).map(h -> !h.isAlive()).orElse(true)) {
                        stale.add(d);
                    }
                } catch (NumberFormatException notOurs) {
                    // a name without an owner's pid: never guess whose it is
                }
            });
        } catch (IOException | RuntimeException e) {
            return 0; // nothing readable to reap
        }
        for (Path d : stale) {
            String marker = "--user-data-dir=" + d;
            List<ProcessHandle> left = new ArrayList<>();
            naming(marker).forEach(h -> {
                left.add(h);
                // the orphaned chromedriver that started it names no profile: it is the browser's parent
                h.parent().filter(p -> p.info().command().map(c -> c.equals(DRIVER) || c.endsWith("/chromedriver")).orElse(false))
                        .ifPresent(left::add);
            });
            left.forEach(ProcessHandle::destroyForcibly);
            deleteTree(d);
        }
        return stale.size();
    }

    private void awaitDriver(LongSupplier nanoTime, long deadline) {
        while (nanoTime.getAsLong() < deadline) {
            if (!driver.isAlive()) {
                throw new BrowserException(DRIVER + " exited with " + driver.exitValue() + " at start");
            }
            try (Response r = execute(http, new Request.Builder().url(base + "/status").build(), "waiting for " + DRIVER)) {
                if (r.isSuccessful() && Json.mapper().readTree(r.body().string()).path("value").path("ready").asBoolean()) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            sleep(50);
        }
        throw new BrowserTimeoutException(DRIVER + " did not answer in time");
    }

    private void newSession(String binary, long budgetMillis, List<String> extraArgs) {
        ObjectNode caps = Json.object();
        ObjectNode always = caps.putObject("capabilities").putObject("alwaysMatch");
        always.put("browserName", "chrome");
        always.put("pageLoadStrategy", "normal");
        always.putObject("timeouts").put("pageLoad", Math.min(budgetMillis, 80_000)).put("script", 30_000).put("implicit", 0);
        ObjectNode chrome = always.putObject("goog:chromeOptions");
        chrome.put("binary", binary);
        // a page's downloads are refused (3: block all), and would land in the profile, deleted with it:
        // never in the service user's ~/Downloads, which a hostile page could fill
        chrome.putObject("prefs").put("download_restrictions", 3).put("download.default_directory", profile.resolve("downloads").toString())
                .put("download.prompt_for_download", false);
        ArrayNode args = chrome.putArray("args");
        for (String a : List.of("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--disable-extensions", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile)) {
            args.add(a);
        }
        extraArgs.forEach(args::add);
        // the page's console and the network events (the OAuth hop's redirects, failed requests)
        ObjectNode perf = chrome.putObject("perfLoggingPrefs");
        perf.put("enableNetwork", true).put("enablePage", false);
        always.putObject("goog:loggingPrefs").put("browser", "ALL").put("performance", "ALL");
        JsonNode value = call("POST", "/session", caps);
        session = value.path("sessionId").asText(null);
        if (session == null) {
            throw new BrowserException("chromedriver answered a new session without an id: " + Json.abbreviate(value.toString(), 300));
        }
    }

    /** Navigates and waits for the page's load event, at most {@code budgetMillis}. */
    public void navigate(String url, long budgetMillis) {
        call("POST", path("/timeouts"), Json.object().put("pageLoad", Math.max(100, Math.min(budgetMillis, 80_000))));
        call("POST", path("/url"), Json.object().put("url", url));
    }

    /**
     * Opens a new tab and makes it the one later calls drive: the page before it stays as it was (a
     * notebook with unsaved output would otherwise hold a navigation away with its "leave page?" prompt).
     *
     * @return the handle of the tab driven before, for {@link #closeTabsBut(String)}
     */
    public String newTab() {
        String before = call("GET", path("/window"), null).asText();
        String handle = call("POST", path("/window/new"), Json.object().put("type", "tab")).path("handle").asText(null);
        if (handle == null) {
            throw new BrowserException("chromedriver opened a tab without a handle");
        }
        call("POST", path("/window"), Json.object().put("handle", handle));
        return before;
    }

    /**
     * Closes every tab but {@code keep} (the one {@link #newTab()} left, with the tabs its page opened) and
     * drives {@code keep} again: a page done with keeps no scripts running (console errors, timers,
     * window.open) while the run goes on.
     *
     * @return how many tabs were closed
     */
    public int closeTabsBut(String keep) {
        int closed = 0;
        for (JsonNode h : call("GET", path("/window/handles"), null)) {
            if (!h.asText().equals(keep)) {
                call("POST", path("/window"), Json.object().put("handle", h.asText()));
                call("DELETE", path("/window"), null);
                closed++;
            }
        }
        call("POST", path("/window"), Json.object().put("handle", keep));
        return closed;
    }

    /** Runs a script in the page ({@code return ...;}) and returns its value as JSON. */
    public JsonNode js(String script, Object... args) {
        ObjectNode body = Json.object().put("script", script);
        ArrayNode a = body.putArray("args");
        for (Object o : args) {
            a.add(Json.mapper().valueToTree(o));
        }
        return call("POST", path("/execute/sync"), body);
    }

    /** A left click at a point of the viewport, as the mouse makes it (CSS pixels). */
    public void clickAt(double x, double y) {
        for (String type : new String[] {"mousePressed", "mouseReleased"}) {
            cdp("Input.dispatchMouseEvent", Json.object().put("type", type).put("x", x).put("y", y).put("button", "left")
                    .put("clickCount", 1));
        }
    }

    /** Clicks the first element matching a CSS selector. */
    public void click(String css) {
        JsonNode el = call("POST", path("/element"), Json.object().put("using", "css selector").put("value", css));
        call("POST", path("/element/" + el.path(ELEMENT).asText() + "/click"), Json.object());
    }

    /**
     * Presses a key with modifiers held (W3C actions: {@code \uE008} is Shift, {@code \uE007} Enter), as the
     * keyboard does: keydown of each, then keyup in reverse.
     */
    public void chord(String... keys) {
        ObjectNode body = Json.object();
        ObjectNode source = body.putArray("actions").addObject().put("type", "key").put("id", "keyboard");
        ArrayNode actions = source.putArray("actions");
        for (String k : keys) {
            actions.addObject().put("type", "keyDown").put("value", k);
        }
        for (int i = keys.length - 1; i >= 0; i--) {
            actions.addObject().put("type", "keyUp").put("value", keys[i]);
        }
        call("POST", path("/actions"), body);
    }

    /** A Chrome DevTools command, through chromedriver. */
    public JsonNode cdp(String command, ObjectNode params) {
        return call("POST", path("/goog/cdp/execute"), Json.object().put("cmd", command).set("params", params));
    }

    /** Log entries of a type ({@code browser}, {@code performance}) since the last call. */
    public List<JsonNode> log(String type) {
        List<JsonNode> out = new ArrayList<>();
        call("POST", path("/se/log"), Json.object().put("type", type)).forEach(out::add);
        return out;
    }

    public byte[] screenshot() {
        return Base64.getDecoder().decode(call("GET", path("/screenshot"), null).asText());
    }

    public boolean alive() {
        return !closed && driver.isAlive();
    }

    /** This run's profile directory, deleted at close. */
    Path profile() {
        return profile;
    }

    /** The process of chromedriver, for a test that checks nothing under it survives. */
    public long pid() {
        return driver.pid();
    }

    private String path(String p) {
        if (session == null || closed) {
            throw new BrowserException("the browser is closed");
        }
        return "/session/" + session + p;
    }

    private JsonNode call(String method, String path, JsonNode body) {
        Request.Builder b = new Request.Builder().url(base + path);
        if (body != null) {
            b.method(method, RequestBody.create(body.toString(), JSON));
        } else {
            b.method(method, method.equals("POST") ? RequestBody.create("{}", JSON) : null);
        }
        try (Response r = execute(http, b.build(), "chromedriver " + method + " " + path.replaceFirst("/session/[^/]+", ""))) {
            okio.BufferedSource source = r.body().source();
            if (source.request(MAX_REPLY + 1L)) {
                // a page that floods its console (or the network log) must not take the service's heap with it
                throw new BrowserException("chromedriver's answer to " + method + " " + path.replaceFirst("/session/[^/]+", "")
                        + " is over " + MAX_REPLY / (1024 * 1024) + " MiB (a page flooding its console?)");
            }
            JsonNode json = Json.mapper().readTree(source.getBuffer().readUtf8());
            JsonNode value = json.path("value");
            if (!r.isSuccessful()) {
                String error = value.path("error").asText("");
                String message = Json.abbreviate(value.path("message").asText(""), 500);
                if (error.equals("timeout") || error.equals("script timeout")) {
                    throw new BrowserTimeoutException(error + ": " + message);
                }
                throw new BrowserException(error + ": " + message);
            }
            return value;
        } catch (IOException e) {
            if (e instanceof java.io.InterruptedIOException) {
                throw new BrowserTimeoutException("chromedriver did not answer " + method + " " + path.replaceFirst("/session/[^/]+", "")
                        + " in time");
            }
            throw new BrowserException("chromedriver: " + e.getMessage());
        }
    }

    /**
     * Every call to chromedriver goes through here. OkHttp's connect, on an interrupted thread, throws a bare
     * InterruptedException (undeclared: no {@code catch (IOException)} sees it, nor a caller's
     * {@code catch (RuntimeException)}, so a browser was left unclosed) and clears the interrupt. It becomes
     * a BrowserException, the interrupt set again.
     */
    private static Response execute(OkHttpClient client, Request request, String doing) throws IOException {
        try {
            return client.newCall(request).execute();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
                throw new BrowserException("interrupted: " + doing);
            }
            throw new BrowserException(doing + ": " + e);
        }
    }

    /** Ends the session, then the process tree: idempotent, and safe from any thread. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        // On an interrupted thread (a run cut short) the session is not asked to end: OkHttp would fail that
        // at once (see execute). kill() ends the browser with the rest, and keeps the interrupt.
        if (session != null && driver.isAlive() && !Thread.currentThread().isInterrupted()) {
            try (Response ignored = execute(http.newBuilder().callTimeout(Duration.ofSeconds(5)).build(),
                    new Request.Builder().url(base + "/session/" + session).delete().build(), "ending the session")) {
                // Chromium quits with the session
            } catch (IOException | RuntimeException e) {
                // the process tree is killed below either way (execute set an interrupt meanwhile again)
            }
        }
        closed = true;
        kill();
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
        OPEN.remove(this);
    }

    /**
     * Ends chromedriver and every browser process of this run. Called on a stopping run's thread, which may
     * be interrupted, and from the shutdown hook: it waits without giving up on an interrupt (the flag is
     * kept for the caller), at most a few seconds.
     */
    void kill() {
        closed = true;
        boolean interrupted = Thread.interrupted();
        try {
            String marker = "--user-data-dir=" + profile;
            List<ProcessHandle> tree = new ArrayList<>(driver.descendants().toList());
            tree.add(driver.toHandle());
            // a Chromium whose driver died first is no longer under it: it still names this run's profile
            tree.addAll(naming(marker));
            tree.forEach(ProcessHandle::destroy);
            interrupted |= end(tree, System.nanoTime() + TimeUnit.SECONDS.toNanos(3));
            // The driver is dead now and starts nothing more. A browser it was launching while the lists above
            // were taken (the run stopped as its session was being created) is not in them but names the
            // profile within moments: look again until a quiet spell has passed (only then: a session that
            // exists has its browser already, and one look is enough).
            long quietFor = session == null ? TimeUnit.MILLISECONDS.toNanos(500) : 0;
            long quietSince = System.nanoTime();
            long giveUp = quietSince + TimeUnit.SECONDS.toNanos(3);
            while (System.nanoTime() < giveUp) {
                List<ProcessHandle> late = naming(marker);
                if (!late.isEmpty()) {
                    late.forEach(ProcessHandle::destroyForcibly);
                    interrupted |= end(late, System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
                    quietSince = System.nanoTime();
                } else if (System.nanoTime() - quietSince >= quietFor) {
                    break;
                }
                interrupted |= pause(50);
            }
            deleteTree(profile);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static List<ProcessHandle> naming(String marker) {
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            return all.filter(h -> h.info().arguments().map(a -> List.of(a).contains(marker)).orElse(false)).toList();
        }
    }

    /**
     * Waits for each to exit until {@code until}, then kills what is left and waits a moment for that.
     *
     * @return whether the thread was interrupted meanwhile
     */
    private static boolean end(List<ProcessHandle> processes, long until) {
        boolean interrupted = false;
        for (ProcessHandle h : processes) {
            while (h.isAlive() && System.nanoTime() < until) {
                interrupted |= pause(20);
            }
            if (h.isAlive()) {
                h.destroyForcibly();
            }
        }
        long dead = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        for (ProcessHandle h : processes) {
            while (h.isAlive() && System.nanoTime() < dead) {
                interrupted |= pause(20);
            }
        }
        return interrupted;
    }

    /**
     * A sleep an interrupt does not cut short ({@link #kill()} must finish what it started).
     *
     * @return whether the thread was interrupted meanwhile (the flag is then cleared, for the caller to restore)
     */
    private static boolean pause(long ms) {
        boolean interrupted = false;
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        long left;
        while ((left = until - System.nanoTime()) > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(left);
            interrupted |= Thread.interrupted();
        }
        return interrupted;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // a temp directory left behind is no leak of a process
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrowserException("interrupted");
        }
    }

    /** The browser or its driver broke (not the page: that is the step's to judge). */
    public static class BrowserException extends RuntimeException {
        public BrowserException(String message) {
            super(message);
        }
    }

    /** A browser call ran out of time. */
    public static final class BrowserTimeoutException extends BrowserException {
        public BrowserTimeoutException(String message) {
            super(message);
        }
    }
}
