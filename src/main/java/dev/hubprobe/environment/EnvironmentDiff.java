package dev.hubprobe.environment;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What changed from one environment to another: the image, and packages added, removed or changed
 * (a new version, or a new conda build of the same version), each list sorted by name.
 */
public record EnvironmentDiff(ImageChange image, List<Package> added, List<Package> removed, List<Change> changed) {

    public EnvironmentDiff {
        added = List.copyOf(added);
        removed = List.copyOf(removed);
        changed = List.copyOf(changed);
    }

    /** The image changed: from the one before to this one (either may be null: not set). */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record ImageChange(String from, String to) {
    }

    /** A package present in both, at another release. */
    public record Change(String name, String from, String to) {
    }

    /** How many entries a one-line summary names before "and N more": enough for a page, short for a phone. */
    public static final int SUMMARY_ENTRIES = 8;

    public static EnvironmentDiff between(Environment before, Environment after) {
        ImageChange image = Objects.equals(before.image(), after.image()) ? null : new ImageChange(before.image(), after.image());
        Map<String, Package> old = byName(before.packages());
        Map<String, Package> now = byName(after.packages());
        List<Package> added = new ArrayList<>();
        List<Package> removed = new ArrayList<>();
        List<Change> changed = new ArrayList<>();
        now.forEach((name, p) -> {
            Package was = old.get(name);
            if (was == null) {
                added.add(p);
            } else if (!was.release().equals(p.release())) {
                boolean sameVersion = was.version().equals(p.version());
                changed.add(new Change(name, sameVersion ? was.release() : was.version(), sameVersion ? p.release() : p.version()));
            }
        });
        old.forEach((name, p) -> {
            if (!now.containsKey(name)) {
                removed.add(p);
            }
        });
        if (!Objects.equals(before.python(), after.python()) && !now.containsKey("python")) {
            changed.add(0, new Change("python", before.python(), after.python()));
        }
        return new EnvironmentDiff(image, added, removed, changed);
    }

    private static Map<String, Package> byName(List<Package> packages) {
        return packages.stream().collect(Collectors.toMap(Package::name, Function.identity(), (a, b) -> a, TreeMap::new));
    }

    /** The first {@code n} entries of each list, for storing a diff that a rebuild made huge. */
    public EnvironmentDiff first(int n) {
        return new EnvironmentDiff(image, added.subList(0, Math.min(n, added.size())), removed.subList(0, Math.min(n, removed.size())),
                changed.subList(0, Math.min(n, changed.size())));
    }

    public boolean empty() {
        return image == null && added.isEmpty() && removed.isEmpty() && changed.isEmpty();
    }

    /**
     * The difference in one line, its first {@code limit} entries: the image first, then changed,
     * added and removed packages, e.g. {@code image a → b; libsqlite 3.45.3 → 3.46.0; + pandas 2.2.3}.
     */
    public String summary(int limit) {
        List<String> parts = new ArrayList<>();
        if (image != null) {
            parts.add("image " + orNone(image.from()) + " → " + orNone(image.to()));
        }
        changed.forEach(c -> parts.add(c.name() + " " + c.from() + " → " + c.to()));
        added.forEach(p -> parts.add("+ " + p.name() + " " + p.release()));
        removed.forEach(p -> parts.add("- " + p.name() + " " + p.release()));
        if (parts.size() <= limit) {
            return String.join("; ", parts);
        }
        return String.join("; ", parts.subList(0, limit)) + "; and " + (parts.size() - limit) + " more";
    }

    private static String orNone(String image) {
        return image == null ? "(none)" : image;
    }
}
