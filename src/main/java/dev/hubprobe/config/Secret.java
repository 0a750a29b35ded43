package dev.hubprobe.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A token or password. It comes from an environment variable or a file, never from a literal in a
 * config that may be committed, and it prints as {@code ****} wherever it ends up by accident. Every
 * secret is known to the process-wide {@link Redactor}, which masks it in every log line.
 */
public final class Secret {
    /**
     * The shortest secret accepted from a config: one of 4 characters or fewer could not be masked
     * without masking ordinary words too, so it is refused at load rather than left in the open.
     */
    public static final int MIN_LENGTH = 5;
    private static final String TOO_SHORT = "is too short: a secret of 4 characters or fewer cannot be masked"
            + " in logs and results; use a longer token or password";
    private final String value;

    private Secret(String value) {
        this.value = Objects.requireNonNull(value);
        Redactor.process().add(value);
    }

    /** Reads {@code ${env:NAME}}; the error names the variable, never a value. */
    public static Secret fromEnv(String variable) throws ConfigException {
        return fromEnv(variable, System::getenv);
    }

    /** {@link #fromEnv(String)} with the environment given (a test cannot set a variable of its own JVM). */
    static Secret fromEnv(String variable, java.util.function.UnaryOperator<String> environment) throws ConfigException {
        String v = environment.apply(variable);
        if (v == null || v.isBlank()) {
            throw new ConfigException(null, 0, null, "environment variable " + variable + " is not set or empty");
        }
        if (v.strip().length() < MIN_LENGTH) {
            throw new ConfigException(null, 0, null, "environment variable " + variable + " " + TOO_SHORT);
        }
        return new Secret(v.strip());
    }

    /** Reads {@code ${file:PATH}}, trimming the trailing newline most secret mounts have. */
    public static Secret fromFile(Path path) throws ConfigException {
        try {
            String v = Files.readString(path).strip();
            if (v.isEmpty()) {
                throw new ConfigException(path.toString(), 0, null, "secret file is empty");
            }
            if (v.length() < MIN_LENGTH) {
                throw new ConfigException(path.toString(), 0, null, "the secret file " + TOO_SHORT);
            }
            return new Secret(v);
        } catch (IOException e) {
            throw new ConfigException(path.toString(), 0, null, "cannot read secret file: " + e.getClass().getSimpleName());
        }
    }

    /** For tests and for secrets the prober mints itself. */
    public static Secret of(String value) {
        return new Secret(value);
    }

    public String reveal() {
        return value;
    }

    /**
     * Equal when the value is: a reload that reads the same secret again changes nothing (and so does
     * not reschedule every job).
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof Secret other && java.security.MessageDigest.isEqual(
                value.getBytes(java.nio.charset.StandardCharsets.UTF_8), other.value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    @Override
    public String toString() {
        return "****";
    }
}
