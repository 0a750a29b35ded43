package dev.hubprobe.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.Test;

/** check reads and writes its trees without an ObjectMapper (issue 25): the trees and texts must be the mapper's. */
class JsonTest {

    /** Every kind of value a report or a kernel message holds, nulls and empty containers included. */
    private static ObjectNode tree() {
        ObjectNode o = Json.object();
        o.put("run_id", "3f2a");
        o.putNull("reason");
        o.put("passed", true);
        o.put("seconds", 0.071749414);
        o.put("whole", 2.0);
        o.put("count", 42);
        o.put("big", 1L << 40);
        o.put("huge", new BigInteger("123456789012345678901234567890"));
        o.put("exact", new BigDecimal("1.50"));
        o.put("text", "quote \" backslash \\ tab \t newline \n control \u0001 unicode \u00e9 \ud83d\ude00 </script>");
        o.putArray("empty");
        o.putObject("nothing");
        o.putArray("phases").add(Json.object().put("name", "hub_api").put("duration_seconds", 1e-9))
                .add(Json.array().add(1).addNull().add("x"));
        o.putObject("facts").put("hub_version", "5.2.1").putObject("nested").putArray("deep").add(false);
        return o;
    }

    @Test
    void aNumberToTheMillisecondIsWrittenExactlyAsPercentPointThreeFWritesIt() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        List<Double> cases = new java.util.ArrayList<>(List.of(0.0, -0.0, 0.0005, 1.0005, 2.5e-4, 0.9995, 9.9995, 123456.789,
                1e-9, 1e21, 4.35, -1.25, -0.0004, -0.0005, -1e-9, Double.NaN, Double.POSITIVE_INFINITY, Double.MIN_VALUE, Double.MAX_VALUE));
        for (int i = 0; i < 20_000; i++) {
            cases.add(switch (i % 3) {
                case 0 -> random.nextLong(0, 3_600_000_000_000L) / 1e9; // a duration's seconds from nanoseconds
                case 1 -> random.nextInt(0, 10_000_000) / 1000.0 + (random.nextBoolean() ? 0.0005 : 0);
                default -> random.nextDouble(-1e6, 1e6);
            });
        }
        for (double v : cases) {
            assertEquals(String.format(java.util.Locale.ROOT, "%.3f", v), Json.fixed3(v), () -> "for " + v);
        }
    }

    @Test
    void anInstantIsWrittenExactlyAsInstantToStringWritesIt() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(25);
        List<java.time.Instant> cases = new java.util.ArrayList<>(List.of(java.time.Instant.EPOCH,
                java.time.Instant.parse("2026-12-03T00:00:00Z"), java.time.Instant.parse("2026-12-03T23:59:59.999999999Z"),
                java.time.Instant.parse("2024-02-29T12:00:00.120Z"), java.time.Instant.parse("2000-01-01T00:00:00.000001Z"),
                java.time.Instant.parse("1969-12-31T23:59:59.5Z"), java.time.Instant.parse("0999-12-31T23:59:59Z"),
                java.time.Instant.parse("+10000-01-01T00:00:00Z"), java.time.Instant.parse("-0001-01-01T00:00:00Z"), java.time.Instant.now(), java.time.Instant.MAX, java.time.Instant.MIN));
        for (int i = 0; i < 20_000; i++) {
            long seconds = random.nextLong(-62_000_000_000L, 260_000_000_000L);
            int nano = switch (i % 4) {
                case 0 -> 0;
                case 1 -> random.nextInt(1000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1000;
                default -> random.nextInt(1_000_000_000);
            };
            cases.add(java.time.Instant.ofEpochSecond(seconds, nano));
        }
        for (java.time.Instant t : cases) {
            assertEquals(t.toString(), Json.instant(t), () -> "epoch second " + t.getEpochSecond() + ", nano " + t.getNano());
        }
    }

    @Test
    void writesTheSameTextAsTheMapper() throws Exception {
        ObjectNode o = tree();
        assertEquals(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(o), Json.pretty(o));
        assertEquals(o.toPrettyString(), Json.pretty(o));
        assertEquals(o.toString(), Json.write(o));
        assertEquals(Json.mapper().writeValueAsString(o), Json.write(o));
    }

    @Test
    void readsTheSameTreeAsTheMapper() throws Exception {
        List<String> texts = List.of(Json.pretty(tree()), Json.write(tree()),
                "{\"a\": 1, \"a\": {\"b\": [1, 2.5, -3e400, 1e-400]}, \"n\": 2147483648, \"m\": -9223372036854775809, \"z\": 0.1}",
                "[]", "{}", "[[], {}, [[null]]]", "\"just text\"", "42", "-0.0", "true", "null", "", "   \n ", "{\"x\": 1} trailing",
                "{\"msg_type\": \"stream\", \"content\": {\"name\": \"stdout\", \"text\": \"42\\n\"}, \"parent_header\": {}}");
        for (String text : texts) {
            JsonNode expected = Json.mapper().readTree(text);
            JsonNode actual = Json.parse(text);
            assertEquals(expected, actual, text);
            assertEquals(expected.getClass(), actual.getClass(), text);
            assertEquals(Json.mapper().writeValueAsString(expected), Json.write(actual), text);
        }
    }

    @Test
    void badJsonFailsAsTheMapperDoes() {
        for (String text : List.of("{", "{\"a\": }", "[1, 2", "{\"a\" 1}", "nope", "{\"a\": 1,}")) {
            JsonProcessingException expected = assertThrows(JsonProcessingException.class, () -> Json.mapper().readTree(text), text);
            JsonProcessingException actual = assertThrows(JsonProcessingException.class, () -> Json.parse(text), text);
            assertEquals(expected.getOriginalMessage(), actual.getOriginalMessage(), text);
        }
    }
}
