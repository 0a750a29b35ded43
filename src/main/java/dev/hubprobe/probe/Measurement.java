package dev.hubprobe.probe;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One named number a cell reported by printing {@code hubprobe-measure: <name> <value> [<unit>]}, kept
 * in base units (seconds, bytes) so every reader (metrics, thresholds, pages) compares like with like.
 *
 * @param unit {@link #SECONDS}, {@link #BYTES} or {@link #NONE}
 * @param histogram the probe asked for a histogram of it ({@code measurements: {NAME: {histogram: true}}})
 */
public record Measurement(String name, double value, String unit, boolean histogram) {
    public static final String SECONDS = "seconds";
    public static final String BYTES = "bytes";
    public static final String NONE = "";
    /** The line prefix a cell prints; anything else on stdout is ordinary output. */
    public static final String PREFIX = "hubprobe-measure:";
    /** The name becomes a label value: short and plain, so the series stay few and readable. */
    public static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]{0,40}");
    /** Measurements one probe run may report: each name is a series of its own on /metrics. */
    public static final int MAX_PER_PROBE = 20;
    private static final Pattern QUANTITY = Pattern.compile("([-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?)\\s*([A-Za-z]*)");
    private static final Pattern LINE = Pattern.compile("^" + Pattern.quote(PREFIX) + "\\s*(.*?)\\s*$");

    public Measurement {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("measurement name '" + name + "' must match " + NAME.pattern());
        }
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("measurement " + name + ": value must be a finite number");
        }
        unit = unit == null ? NONE : unit;
    }

    public Measurement(String name, double value, String unit) {
        this(name, value, unit, false);
    }

    public Measurement withHistogram(boolean h) {
        return new Measurement(name, value, unit, h);
    }

    /** A number with an optional unit ({@code 5s}, {@code 250 ms}, {@code 10GiB}, {@code 3}), in base units. */
    public record Quantity(double value, String unit) {
        @com.fasterxml.jackson.annotation.JsonCreator(mode = com.fasterxml.jackson.annotation.JsonCreator.Mode.DELEGATING)
        public static Quantity parse(String text) {
            Matcher m = QUANTITY.matcher(text == null ? "" : text.trim());
            if (!m.matches()) {
                throw new IllegalArgumentException("'" + text + "' is not a number with an optional unit (s, ms, B, KiB, MiB, GiB)");
            }
            double v = Double.parseDouble(m.group(1));
            String u = m.group(2);
            Quantity q = switch (u) {
                case "" -> new Quantity(v, NONE);
                case "s" -> new Quantity(v, SECONDS);
                case "ms" -> new Quantity(v / 1000, SECONDS);
                case "B", "bytes" -> new Quantity(v, BYTES);
                case "KiB" -> new Quantity(v * 1024, BYTES);
                case "MiB" -> new Quantity(v * 1024 * 1024, BYTES);
                case "GiB" -> new Quantity(v * 1024 * 1024 * 1024, BYTES);
                default -> throw new IllegalArgumentException("unit '" + u + "' of '" + text
                        + "' is not one of s, ms, B (bytes), KiB, MiB, GiB");
            };
            // 1e309, or 1e308 GiB: infinite as a double; as a bound it would compare with nothing and say
            // "Infinity" where the 3 a.m. reader wants a number
            if (!Double.isFinite(q.value())) {
                throw new IllegalArgumentException("'" + text + "' is too large a number");
            }
            return q;
        }

        /** As people read it: 5 s, 10 GiB, 3. */
        public String display() {
            return Measurement.display(value, unit);
        }
    }

    /**
     * The measurement one output line reports, empty when the line is not a measurement line; a line
     * with the prefix that does not parse throws, with what is wrong (the cell's author wants to know).
     */
    public static Optional<Measurement> parseLine(String line) {
        Matcher m = LINE.matcher(line);
        if (!m.matches()) {
            return Optional.empty();
        }
        String[] parts = m.group(1).split("\\s+", 2);
        if (parts.length < 2 || parts[0].isEmpty()) {
            throw new IllegalArgumentException("'" + line.strip() + "' is not '" + PREFIX + " <name> <value> [<unit>]'");
        }
        Quantity q = Quantity.parse(parts[1]);
        return Optional.of(new Measurement(parts[0], q.value(), q.unit()));
    }

    public String display() {
        return display(value, unit);
    }

    static String display(double value, String unit) {
        String n = number(value);
        if (BYTES.equals(unit)) {
            String[] units = {"KiB", "MiB", "GiB", "TiB"};
            double v = value;
            String u = "B";
            for (String next : units) {
                if (Math.abs(v) < 1024) {
                    break;
                }
                v /= 1024;
                u = next;
            }
            return "B".equals(u) ? n + " B" : number(v) + " " + u;
        }
        return SECONDS.equals(unit) ? n + " s" : n;
    }

    /** Four significant digits at most, no trailing zeros: 0.5, 12.35, 17179869184. */
    private static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return String.valueOf((long) v);
        }
        if (!Double.isFinite(v)) {
            return String.valueOf(v);
        }
        java.math.BigDecimal d = new java.math.BigDecimal(v).round(new java.math.MathContext(4)).stripTrailingZeros();
        // a cell may print 1e308 or 1e-300: plain, that is hundreds of digits on a page row or in a message
        return Math.abs(v) >= 1e15 || Math.abs(v) < 1e-6 ? d.toString() : d.toPlainString();
    }
}
