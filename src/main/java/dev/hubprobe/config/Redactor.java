package dev.hubprobe.config;

import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;

/**
 * Removes known secrets from text that leaves the process (messages, logs, reports). Upstream error
 * text is not ours to trust: a hub may echo a URL with {@code ?token=} or a header back to us.
 *
 * <p>{@link #process()} knows every configured secret and, while a run lasts, that run's own
 * redactor (with the token minted for it); every log line goes through it (see {@link LogRedaction}).
 */
public final class Redactor {
    public static final String MASK = "****";
    private static final Redactor PROCESS = new Redactor();

    private final Set<String> secrets = new CopyOnWriteArraySet<>();
    private final Set<Redactor> attached = new CopyOnWriteArraySet<>();

    /** The redactor of the whole process: configured secrets, and the runs in progress. */
    public static Redactor process() {
        return PROCESS;
    }

    public Redactor add(Secret secret) {
        return add(secret.reveal());
    }

    public Redactor add(String secret) {
        // very short values would mask ordinary words; real tokens and passwords are longer
        if (secret != null && secret.length() >= 4) {
            secrets.add(secret);
        }
        return this;
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
        String out = text;
        for (String s : secrets) {
            out = out.replace(s, MASK);
        }
        for (Redactor r : attached) {
            out = r.redact(out);
        }
        return out.replaceAll("(?i)([?&](?:token|access_token|password)=)[^&\\s\"']+", "$1" + MASK);
    }
}
