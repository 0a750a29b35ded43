package dev.hubprobe.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A token or password. It comes from an environment variable or a file, never from a literal in a
 * config that may be committed, and it prints as {@code ****} wherever it ends up by accident.
 */
public final class Secret {
    private final String value;
    private final String source;

    private Secret(String value, String source) {
        this.value = Objects.requireNonNull(value);
        this.source = source;
    }

    /** Reads {@code ${env:NAME}}; the error names the variable, never a value. */
    public static Secret fromEnv(String variable) throws ConfigException {
        String v = System.getenv(variable);
        if (v == null || v.isBlank()) {
            throw new ConfigException(null, 0, null, "environment variable " + variable + " is not set or empty");
        }
        return new Secret(v.strip(), "env:" + variable);
    }

    /** Reads {@code ${file:PATH}}, trimming the trailing newline most secret mounts have. */
    public static Secret fromFile(Path path) throws ConfigException {
        try {
            String v = Files.readString(path).strip();
            if (v.isEmpty()) {
                throw new ConfigException(path.toString(), 0, null, "secret file is empty");
            }
            return new Secret(v, "file:" + path);
        } catch (IOException e) {
            throw new ConfigException(path.toString(), 0, null, "cannot read secret file: " + e.getClass().getSimpleName());
        }
    }

    /** For tests and for secrets the prober mints itself. */
    public static Secret of(String value, String source) {
        return new Secret(value, source);
    }

    public String reveal() {
        return value;
    }

    /** Where it came from (env:NAME or file:PATH), safe to show. */
    public String source() {
        return source;
    }

    @Override
    public String toString() {
        return "****";
    }
}
