package dev.hubprobe.config;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes known secrets from text that leaves the process (messages, logs, reports). Upstream error
 * text is not ours to trust: a hub may echo a URL with {@code ?token=} or a header back to us.
 *
 * <p>{@link #process()} knows every configured secret and, while a run lasts, that run's own
 * redactor (with the token minted for it); every log line goes through it (see {@link LogRedaction}).
 * A run's redactor ({@link #forRun()}) masks its own secrets and every configured one too: what a run
 * stores (message, notes, facts, transcript) may echo another hub's token or a webhook URL as well.
 *
 * <p>A secret is masked as written and in the forms it takes inside other text: JSON-escaped (a hub's
 * error body quoting a request) and URL-encoded (a query string or a redirect's {@code next=}).
 */
public final class Redactor {
    public static final String MASK = "****";
    /**
     * Shorter values would mask ordinary words; config load refuses a secret of 4 characters or fewer
     * ({@link Secret#MIN_LENGTH}) rather than leave it unmasked.
     */
    static final int MIN_LENGTH = Secret.MIN_LENGTH;
    private static final Pattern QUERY_SECRET = Pattern.compile("(?i)([?&](?:token|access_token|password)=)[^&\\s\"']+");
    private static final Redactor PROCESS = new Redactor(null);

    private final Redactor parent;
    private final Set<String> secrets = new CopyOnWriteArraySet<>();
    /** Every form of every secret, longest first: a secret inside a longer one must not unmask the rest of it. */
    private volatile List<String> forms = List.of();
    private final Set<Redactor> attached = new CopyOnWriteArraySet<>();

    private Redactor(Redactor parent) {
        this.parent = parent;
    }

    /** A redactor of its own secrets only (tests, and text no configured secret can reach). */
    public Redactor() {
        this(null);
    }

    /** The redactor of the whole process: configured secrets, and the runs in progress. */
    public static Redactor process() {
        return PROCESS;
    }

    /** A run's redactor: the secrets the run adds (its minted token) and every configured secret. */
    public static Redactor forRun() {
        return new Redactor(PROCESS);
    }

    public Redactor add(Secret secret) {
        return add(secret.reveal());
    }

    public Redactor add(String secret) {
        if (secret != null && secret.length() >= MIN_LENGTH && secrets.add(secret)) {
            synchronized (this) {
                Set<String> all = new LinkedHashSet<>(forms);
                all.addAll(formsOf(secret));
                List<String> sorted = new ArrayList<>(all);
                sorted.sort(Comparator.comparingInt(String::length).reversed());
                forms = List.copyOf(sorted);
            }
        }
        return this;
    }

    /** The secret as written, JSON-escaped (with and without {@code \/}), and URL-encoded (either hex case, {@code +} or {@code %20}). */
    static Set<String> formsOf(String secret) {
        Set<String> out = new LinkedHashSet<>();
        out.add(secret);
        String json = new String(JsonStringEncoder.getInstance().quoteAsString(secret));
        out.add(json);
        out.add(json.replace("/", "\\/"));
        String url = URLEncoder.encode(secret, StandardCharsets.UTF_8);
        out.add(url);
        out.add(url.replace("+", "%20"));
        out.add(lowerHex(url));
        out.add(lowerHex(url.replace("+", "%20")));
        return out;
    }

    private static String lowerHex(String encoded) {
        Matcher m = Pattern.compile("%[0-9A-F]{2}").matcher(encoded);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(b, m.group().toLowerCase(Locale.ROOT));
        }
        return m.appendTail(b).toString();
    }

    /** Also masks what {@code other} knows, until {@link #detach}: a run's minted token in the process's logs. */
    public void attach(Redactor other) {
        attached.add(other);
    }

    public void detach(Redactor other) {
        attached.remove(other);
    }

    public String redact(String text) {
        if (text == null) {
            return null;
        }
        String out = mask(text);
        if (parent != null) {
            out = parent.mask(out);
        }
        for (Redactor r : attached) {
            out = r.mask(out);
        }
        return QUERY_SECRET.matcher(out).replaceAll("$1" + Matcher.quoteReplacement(MASK));
    }

    /** This redactor's own secrets, in every form; neither the parent's nor the attached ones'. */
    private String mask(String text) {
        String out = text;
        for (String s : forms) {
            if (out.contains(s)) {
                out = out.replace(s, MASK);
            }
        }
        return out;
    }
}
