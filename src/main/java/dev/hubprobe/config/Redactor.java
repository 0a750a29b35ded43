package dev.hubprobe.config;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
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
 * error body quoting a request, also with non-ASCII as {@code \u00e4} as Python writes it) and
 * URL-encoded (a query string or a redirect's {@code next=}, as Java, Python and JavaScript encode it).
 * All forms of all secrets (the run's, the configured ones, the attached runs') are found together in
 * one pass ({@link SecretMatcher}), so a secret inside another never leaves part of the longer one.
 *
 * <p>Text is often cut before it gets here ({@code Json.abbreviate}, {@code Transcript.cut}): a cut
 * through a secret leaves its start. So the tail right before a cut marker ({@link #CUT_MARKERS})
 * is masked too when it is the start, at least {@link #MIN_PREFIX} characters, of any form of any
 * secret: at most 3 characters of a secret's start survive a cut. A cut must end in one of those
 * markers for that to hold; every cut in the code does.
 */
public final class Redactor {
    public static final String MASK = "****";
    /**
     * Shorter values would mask ordinary words; config load refuses a secret of 4 characters or fewer
     * ({@link Secret#MIN_LENGTH}) rather than leave it unmasked.
     */
    static final int MIN_LENGTH = Secret.MIN_LENGTH;
    /** What every cut in the code appends (Json.abbreviate, Transcript.cut, HistoryStore, the notifiers). */
    public static final List<String> CUT_MARKERS = List.of("...", "\u2026", " [cut]");
    /**
     * The shortest start of a secret masked before a cut marker: shorter tails would mask ordinary
     * words' ends (with 1,000 hex tokens a 4-character tail is some token's start 1.5% of the time).
     */
    static final int MIN_PREFIX = 4;
    /** Compiled once, not per URL form (a run's redactor is built for each run). */
    private static final Pattern PERCENT_ESCAPE = Pattern.compile("%[0-9A-F]{2}");
    private static final Pattern QUERY_SECRET = Pattern.compile("(?i)([?&](?:token|access_token|password)=)[^&\\s\"']+");
    private static final Redactor PROCESS = new Redactor(null);

    private final Redactor parent;
    private final Set<String> secrets = new CopyOnWriteArraySet<>();
    /**
     * Every form of every secret of this redactor, in one automaton; null when a secret was added
     * since, and built again at the next redact (not at each add: config load adds 1,000 in a row).
     */
    private volatile SecretMatcher matcher = SecretMatcher.EMPTY;
    private final Set<String> forms = new LinkedHashSet<>();
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
                forms.addAll(formsOf(secret));
                matcher = null;
            }
        }
        return this;
    }

    /**
     * The secret as written; JSON-escaped (with and without {@code \/}, and with every non-ASCII
     * character as {@code \\uXXXX} in either hex case, as Python's json.dumps writes it); URL-encoded as
     * Java's URLEncoder, Python's quote_plus and quote, and JavaScript's encodeURIComponent do (they
     * differ in {@code ~ * ! ' ( ) /} and space), either hex case.
     */
    static Set<String> formsOf(String secret) {
        Set<String> out = new LinkedHashSet<>();
        out.add(secret);
        String json = new String(JsonStringEncoder.getInstance().quoteAsString(secret));
        for (String j : List.of(json, asciiJson(json, "%04x"), asciiJson(json, "%04X"))) {
            out.add(j);
            out.add(j.replace("/", "\\/"));
        }
        List<String> urls = List.of(
                percent(secret, "-_.*", true), // Java's URLEncoder
                percent(secret, "-_.*", false),
                percent(secret, "-_.~", true), // Python's quote_plus
                percent(secret, "-_.~/", false), // Python's quote
                percent(secret, "-_.!~*'()", false)); // JavaScript's encodeURIComponent
        for (String url : urls) {
            out.add(url);
            out.add(lowerHex(url));
        }
        return out;
    }

    private static String asciiJson(String json, String hex) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (c > 0x7e) {
                b.append("\\u").append(String.format(Locale.ROOT, hex, (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** Percent-encodes the UTF-8 bytes of everything but ASCII letters, digits and {@code safe}. */
    private static String percent(String secret, String safe, boolean spaceAsPlus) {
        StringBuilder b = new StringBuilder();
        for (byte x : secret.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (c < 0x80 && safe.indexOf(c) >= 0)) {
                b.append((char) c);
            } else if (c == ' ' && spaceAsPlus) {
                b.append('+');
            } else {
                b.append('%').append(String.format(Locale.ROOT, "%02X", c));
            }
        }
        return b.toString();
    }

    private static String lowerHex(String encoded) {
        Matcher m = PERCENT_ESCAPE.matcher(encoded);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(b, m.group().toLowerCase(Locale.ROOT));
        }
        return m.appendTail(b).toString();
    }

    private SecretMatcher matcher() {
        SecretMatcher m = matcher;
        if (m == null) {
            synchronized (this) {
                m = matcher;
                if (m == null) {
                    m = new SecretMatcher(forms);
                    matcher = m;
                }
            }
        }
        return m;
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
        // every redactor's forms are found in the same, unchanged text, and the union is masked: a
        // secret found by one never hides part of a longer one known to another
        BitSet masked = new BitSet();
        matcher().mark(text, masked, CUT_MARKERS, MIN_PREFIX);
        if (parent != null) {
            parent.matcher().mark(text, masked, CUT_MARKERS, MIN_PREFIX);
        }
        for (Redactor r : attached) {
            r.matcher().mark(text, masked, CUT_MARKERS, MIN_PREFIX);
        }
        String out = text;
        if (!masked.isEmpty()) {
            StringBuilder b = new StringBuilder(text.length());
            int i = 0;
            while (i < text.length()) {
                int from = masked.nextSetBit(i);
                if (from < 0) {
                    b.append(text, i, text.length());
                    break;
                }
                int to = masked.nextClearBit(from);
                b.append(text, i, from).append(MASK);
                i = to;
            }
            out = b.toString();
        }
        return QUERY_SECRET.matcher(out).replaceAll("$1" + Matcher.quoteReplacement(MASK));
    }
}
