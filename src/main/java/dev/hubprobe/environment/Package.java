package dev.hubprobe.environment;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One installed package: a Python distribution ({@code build} and {@code channel} null), or a conda
 * package, native libraries included. The name is normalised (PEP 503: lower case, runs of
 * {@code -_.} as one {@code -}) so a package is the same package from run to run.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Package(String name, String version, String build, String channel) {
    public Package {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a package needs a name");
        }
        version = version == null ? "" : version;
    }

    /** What a change from one run to the next compares: the version, and the build where conda gives one. */
    String release() {
        return build == null ? version : version + "=" + build;
    }
}
