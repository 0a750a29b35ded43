package dev.hubprobe.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The one JSON mapper every package shares (hub and kernel clients, reports, API, alerting), so none
 * of them reaches into another's internals for JSON, and a flat text helper for messages.
 */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    public static ArrayNode array() {
        return MAPPER.createArrayNode();
    }

    /** Whitespace folded and cut to {@code max} characters, for messages and annotations. */
    public static String abbreviate(String s, int max) {
        if (s == null) {
            return "";
        }
        String flat = s.replaceAll("\\s+", " ").trim();
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
        try (JsonParser p = MAPPER.getFactory().createParser(text)) {
            while (p.nextToken() != null && n <= max) {
                if (!p.currentToken().isStructEnd()) {
                    n++;
                }
            }
        }
        return n;
    }
}
