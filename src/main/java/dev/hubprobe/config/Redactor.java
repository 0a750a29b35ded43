package dev.hubprobe.config;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Removes known secrets from text that leaves the process (messages, logs, reports). Upstream error
 * text is not ours to trust: a hub may echo a URL with {@code ?token=} or a header back to us.
 */
public final class Redactor {
    public static final String MASK = "****";
    private final List<String> secrets = new CopyOnWriteArrayList<>();

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

    public String redact(String text) {
        if (text == null) {
            return null;
        }
        String out = text;
        for (String s : secrets) {
            out = out.replace(s, MASK);
        }
        return out.replaceAll("(?i)([?&](?:token|access_token|password)=)[^&\\s\"']+", "$1" + MASK);
    }
}
