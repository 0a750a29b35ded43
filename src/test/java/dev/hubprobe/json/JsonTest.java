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
