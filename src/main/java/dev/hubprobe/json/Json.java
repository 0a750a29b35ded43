package dev.hubprobe.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The one JSON mapper every package shares (hub and kernel clients, reports, API, alerting), so none
 * of them reaches into another's internals for JSON, and a flat text helper for messages.
 *
 * <p>The mapper is built on first use, and a one-shot {@code check} never uses it: its trees are read
 * ({@link #parse}) and written ({@link #write}, {@link #pretty}) on Jackson's streaming parser and
 * generator. An {@code ObjectMapper} cost a check's start about 450 classes and some 25 ms
 * (its serializer and deserializer factories, bean introspection, {@code StdDateFormat}'s locale
 * data) for nothing it needs (issue 25).
 */
public final class Json {
    /** The factory the mapper's own parser and generator come from, with the same (default) features. */
    private static final JsonFactory FACTORY = new JsonFactory();

    private Json() {
    }

    private static final class Holder {
        static final ObjectMapper MAPPER = new ObjectMapper();
    }

    /** The shared mapper, for binding records and for the service's readers; built on first use. */
    public static ObjectMapper mapper() {
        return Holder.MAPPER;
    }

    public static ObjectNode object() {
        return JsonNodeFactory.instance.objectNode();
    }

    public static ArrayNode array() {
        return JsonNodeFactory.instance.arrayNode();
    }

    /**
     * The tree of a JSON text, as {@code mapper().readTree(text)} reads it: a later duplicate key wins,
     * integers are int, long or BigInteger nodes by size, other numbers doubles, text after the first
     * value is ignored, and an empty (or blank) text is the missing node.
     *
     * @throws JsonProcessingException when the text is not JSON
     */
    public static JsonNode parse(String text) throws JsonProcessingException {
        try {
            return read(text);
        } catch (JsonProcessingException e) {
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException(e); // reading a String does not fail otherwise
        }
    }

    /*
     * The tokens are asked for as the mapper's tree deserializer asks (nextFieldName inside an object),
     * so a bad text fails with the same message.
     */
    private static JsonNode read(String text) throws IOException {
        try (JsonParser p = FACTORY.createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                return MissingNode.getInstance();
            }
            JsonNode root = value(p, t, text);
            if (!root.isContainerNode()) {
                return root;
            }
            Deque<JsonNode> open = new ArrayDeque<>();
            open.push(root);
            while (!open.isEmpty()) {
                JsonNode parent = open.peek();
                String field = null;
                if (parent.isObject()) {
                    field = p.nextFieldName();
                    if (field == null) {
                        open.pop(); // END_OBJECT
                        continue;
                    }
                }
                t = p.nextToken();
                if (t == JsonToken.END_ARRAY) {
                    open.pop();
                    continue;
                }
                JsonNode value = value(p, t, text);
                if (field != null) {
                    ((ObjectNode) parent).replace(field, value);
                } else {
                    ((ArrayNode) parent).add(value);
                }
                if (value.isContainerNode()) {
                    open.push(value);
                }
            }
            return root;
        }
    }

    private static JsonNode value(JsonParser p, JsonToken t, String text) throws IOException {
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        if (t == null) {
            return mapper().readTree(text); // cut short: the mapper says how
        }
        switch (t) {
            case START_OBJECT:
                return nodes.objectNode();
            case START_ARRAY:
                return nodes.arrayNode();
            case VALUE_STRING:
                return nodes.textNode(p.getText());
            case VALUE_NUMBER_INT:
                switch (p.getNumberType()) {
                    case INT:
                        return nodes.numberNode(p.getIntValue());
                    case LONG:
                        return nodes.numberNode(p.getLongValue());
                    default:
                        return nodes.numberNode(p.getBigIntegerValue());
                }
            case VALUE_NUMBER_FLOAT:
                return nodes.numberNode(p.getDoubleValue());
            case VALUE_TRUE:
                return nodes.booleanNode(true);
            case VALUE_FALSE:
                return nodes.booleanNode(false);
            case VALUE_NULL:
                return nodes.nullNode();
            default:
                // a text parser makes no embedded objects: whatever else it is, the mapper reads it
                return mapper().readTree(text);
        }
    }

    /** The tree as compact JSON text, as {@code node.toString()} writes it. */
    public static String write(JsonNode node) {
        return write(node, false);
    }

    /** The tree as indented JSON text, as {@code mapper().writerWithDefaultPrettyPrinter()} writes it. */
    public static String pretty(JsonNode node) {
        return write(node, true);
    }

    /*
     * Walked here onto a bare generator: the mapper's writer, and node.toString() (which builds a second
     * ObjectMapper of Jackson's own), set up a serializer provider and factory first. Every field is
     * written, nulls and empty arrays included, as the mapper's defaults do.
     */
    private static String write(JsonNode node, boolean indent) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            if (indent) {
                g.setPrettyPrinter(new DefaultPrettyPrinter());
            }
            write(g, node);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }

    private static void write(JsonGenerator g, JsonNode node) throws IOException {
        switch (node.getNodeType()) {
            case OBJECT:
                g.writeStartObject();
                for (var e : node.properties()) {
                    g.writeFieldName(e.getKey());
                    write(g, e.getValue());
                }
                g.writeEndObject();
                return;
            case ARRAY:
                g.writeStartArray();
                for (JsonNode e : node) {
                    write(g, e);
                }
                g.writeEndArray();
                return;
            case STRING:
                g.writeString(node.textValue());
                return;
            case BOOLEAN:
                g.writeBoolean(node.booleanValue());
                return;
            case NULL:
                g.writeNull();
                return;
            case NUMBER:
                if (node.isInt() || node.isShort()) {
                    g.writeNumber(node.intValue());
                } else if (node.isLong()) {
                    g.writeNumber(node.longValue());
                } else if (node.isBigInteger()) {
                    g.writeNumber(node.bigIntegerValue());
                } else if (node.isDouble()) {
                    g.writeNumber(node.doubleValue());
                } else if (node.isFloat()) {
                    g.writeNumber(node.floatValue());
                } else {
                    g.writeNumber(node.decimalValue());
                }
                return;
            default:
                // binary, POJO or missing: written as the mapper writes them
                g.writeRawValue(mapper().writeValueAsString(node));
        }
    }

    /** Compiled once, on first use (not on a check's path otherwise): replaceAll compiles its pattern per call. */
    private static final class Whitespace {
        static final java.util.regex.Pattern RUNS = java.util.regex.Pattern.compile("\\s+");
    }

    /**
     * {@code String.format(Locale.ROOT, "%.3f", v)}, the same text, without {@code Formatter}'s number
     * path: its first use loads the locale data (DecimalFormatSymbols, the CLDR adapter, resource
     * bundles), about 15 ms of a one-shot check's CPU for a few seconds printed to the millisecond.
     */
    public static String fixed3(double v) {
        if (!Double.isFinite(v)) {
            return String.format(java.util.Locale.ROOT, "%.3f", v); // NaN and the infinities: never a duration
        }
        // the formatter rounds the shortest decimal that reads back as v, half up (away from zero), and
        // keeps the sign of what rounds to zero (-0.000); BigDecimal has no negative zero, so the
        // magnitude is rounded and the sign put back
        String magnitude = new java.math.BigDecimal(Double.toString(Math.abs(v))).setScale(3, java.math.RoundingMode.HALF_UP).toPlainString();
        return Math.copySign(1.0, v) < 0 ? "-" + magnitude : magnitude;
    }

    /**
     * {@code t.toString()}, the same text (ISO-8601 in UTC, the fraction in groups of three digits as
     * needed), without {@code DateTimeFormatter}: its class initialiser builds every standard formatter,
     * about 10 ms of a one-shot check's CPU for the one timestamp a kernel message and a report carry.
     */
    public static String instant(java.time.Instant t) {
        long seconds = t.getEpochSecond();
        if (seconds < -30_610_224_000L || seconds > 253_402_300_799L) {
            return t.toString(); // before 1000 or after 9999: a sign or more digits, rare enough for the formatter's cost
        }
        java.time.LocalDate day = java.time.LocalDate.ofEpochDay(Math.floorDiv(seconds, 86_400));
        int secondOfDay = (int) Math.floorMod(seconds, 86_400);
        StringBuilder b = new StringBuilder(30).append(day.getYear()).append('-');
        two(b, day.getMonthValue()).append('-');
        two(b, day.getDayOfMonth()).append('T');
        two(b, secondOfDay / 3600).append(':');
        two(b, secondOfDay / 60 % 60).append(':');
        two(b, secondOfDay % 60);
        int nano = t.getNano();
        if (nano != 0) {
            int digits = nano % 1_000_000 == 0 ? 3 : nano % 1000 == 0 ? 6 : 9;
            String all = Integer.toString(1_000_000_000 + nano); // "1" then nine digits
            b.append('.').append(all, 1, 1 + digits);
        }
        return b.append('Z').toString();
    }

    private static StringBuilder two(StringBuilder b, int v) {
        return b.append((char) ('0' + v / 10)).append((char) ('0' + v % 10));
    }

    /**
     * A peer's text made safe to print: control and format characters (terminal escapes, C1 controls,
     * bidi overrides, line separators) but ordinary whitespace become U+FFFD, so a hostile hub can
     * neither recolour nor rewrite a terminal or CI log that shows it.
     */
    public static String printable(String text) {
        return Unprintable.CHARS.matcher(text).replaceAll("\uFFFD");
    }

    /** Compiled once, on first use. */
    private static final class Unprintable {
        static final java.util.regex.Pattern CHARS = java.util.regex.Pattern.compile("[[\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]&&[^\\s]]");
    }

    /**
     * A peer's text on one line: {@link #printable} and every run of whitespace (a line break too) one
     * space, so it can neither rewrite nor forge lines of the log or report that shows it.
     */
    public static String oneLine(String text) {
        return Whitespace.RUNS.matcher(printable(text)).replaceAll(" ").strip();
    }

    /** Whitespace folded and cut to {@code max} characters, for messages and annotations. */
    public static String abbreviate(String s, int max) {
        if (s == null) {
            return "";
        }
        String flat = Whitespace.RUNS.matcher(s).replaceAll(" ").trim();
        return flat.length() <= max ? flat : flat.substring(0, max) + "...";
    }

    /** What ends a value that {@link #cap} cut: visible on a page, in the API and in a report. */
    public static final String CUT = "\u2026[cut]";

    /**
     * At most {@code max} characters of a value a hub or a kernel sent, ending in {@link #CUT} when it
     * was longer; unlike {@link #abbreviate}, whitespace is kept as it was. Null stays null.
     */
    public static String cap(String s, int max) {
        if (s == null || s.length() <= max) {
            return s;
        }
        int keep = Math.max(0, max - CUT.length());
        if (keep > 0 && Character.isHighSurrogate(s.charAt(keep - 1))) {
            keep--; // never half a character
        }
        return s.substring(0, keep) + CUT;
    }

    /**
     * How many values (objects, arrays, fields and scalars) the JSON text holds, counted on the
     * stream without building it, stopping at the first past {@code max}: parsed, each is an object
     * of its own, so a few bytes of text ("{}," is three) can cost some 70 bytes of heap.
     *
     * @throws IOException when the text is not JSON (as far as it was read)
     */
    public static int values(String text, int max) throws IOException {
        int n = 0;
        try (JsonParser p = FACTORY.createParser(text)) {
            while (p.nextToken() != null && n <= max) {
                if (!p.currentToken().isStructEnd()) {
                    n++;
                }
            }
        }
        return n;
    }
}
