package dev.hubprobe.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.io.StringReader;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads YAML into records, strictly: an unknown key (or a key nested one level off, incident 5), a
 * duplicate key, a wrong type or a bad duration is an error that names the file, the line and the key
 * path. Keys are snake_case in the file and camelCase in the records.
 */
public final class StrictYaml {
    private static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .registerModule(new SimpleModule().addDeserializer(Duration.class, new DurationDeserializer()));

    private StrictYaml() {
    }

    public static <T> T read(Path file, Class<T> type) throws ConfigException {
        return read(file.toString(), text(file), type);
    }

    /** A config file's text; a missing or unreadable file is a {@link ConfigException} naming it. */
    public static String text(Path file) throws ConfigException {
        try {
            return Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file.toString(), 0, null, "file does not exist");
        } catch (IOException e) {
            throw new ConfigException(file.toString(), 0, null, "cannot read: " + e.getMessage());
        }
    }

    /**
     * An error found after binding (a duplicate name, a missing file, an unset variable), placed at
     * the line of the key it is about. {@code keyPath} is written as in messages: {@code hubs[1].auth.token}.
     */
    public static ConfigException error(String fileName, String text, String keyPath, String problem) {
        List<JsonMappingException.Reference> refs = new java.util.ArrayList<>();
        for (String part : keyPath.split("\\.")) {
            String name = part.replaceAll("\\[\\d+]", "");
            if (!name.isEmpty()) {
                refs.add(new JsonMappingException.Reference(null, name));
            }
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\[(\\d+)]").matcher(part);
            while (m.find()) {
                refs.add(new JsonMappingException.Reference(null, Integer.parseInt(m.group(1))));
            }
        }
        return new ConfigException(fileName, lineOf(text, refs), keyPath, problem);
    }

    public static <T> T read(String fileName, String text, Class<T> type) throws ConfigException {
        if (text.isBlank()) {
            throw new ConfigException(fileName, 0, null, "file is empty");
        }
        try {
            T value = MAPPER.readValue(text, type);
            if (value == null) {
                throw new ConfigException(fileName, 0, null, "file holds no document");
            }
            return value;
        } catch (JsonMappingException e) {
            int line = lineOf(text, e.getPath());
            throw new ConfigException(fileName, line > 0 ? line : line(e.getLocation()), keyPath(e), problem(e));
        } catch (JsonProcessingException e) {
            throw new ConfigException(fileName, line(e.getLocation()), null, "not valid YAML: " + e.getOriginalMessage());
        }
    }

    private static int line(JsonLocation location) {
        return location == null ? 0 : Math.max(0, location.getLineNr());
    }

    /**
     * The line of the key a path leads to. Jackson's own location is unreliable for records (their
     * properties are buffered before the constructor runs), so the path is walked in SnakeYAML's node
     * tree, which keeps every node's position.
     */
    private static int lineOf(String text, List<JsonMappingException.Reference> path) {
        Node node;
        try {
            node = new Yaml().compose(new StringReader(text));
        } catch (RuntimeException e) {
            return 0;
        }
        int line = 0;
        for (JsonMappingException.Reference r : path) {
            if (node instanceof MappingNode m && r.getFieldName() != null) {
                NodeTuple hit = m.getValue().stream()
                        .filter(t -> t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(r.getFieldName()))
                        .findFirst().orElse(null);
                if (hit == null) {
                    break;
                }
                line = hit.getKeyNode().getStartMark().getLine() + 1;
                node = hit.getValueNode();
            } else if (node instanceof SequenceNode seq && r.getIndex() >= 0 && r.getIndex() < seq.getValue().size()) {
                node = seq.getValue().get(r.getIndex());
                line = node.getStartMark().getLine() + 1;
            } else {
                break;
            }
        }
        return line;
    }

    private static String keyPath(JsonMappingException e) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                if (!b.isEmpty()) {
                    b.append('.');
                }
                b.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.toString();
    }

    private static String problem(JsonMappingException e) {
        if (e instanceof UnrecognizedPropertyException u) {
            String known = u.getKnownPropertyIds() == null ? "" : u.getKnownPropertyIds().stream()
                    .map(Object::toString).sorted().collect(Collectors.joining(", "));
            return "unknown key '" + u.getPropertyName() + "'" + (known.isEmpty() ? "" : " (allowed here: " + known + ")");
        }
        if (e instanceof InvalidFormatException f) {
            return "invalid value '" + f.getValue() + "': " + f.getOriginalMessage().replaceFirst("^invalid duration: ", "");
        }
        if (e instanceof ValueInstantiationException v) {
            Throwable c = v.getCause();
            return c != null && c.getMessage() != null ? c.getMessage() : v.getOriginalMessage();
        }
        if (e instanceof MismatchedInputException m) {
            String target = m.getTargetType() == null ? "value" : describe(m.getTargetType());
            return "expected " + target + " here";
        }
        return e.getOriginalMessage();
    }

    private static String describe(Class<?> type) {
        if (java.util.Map.class.isAssignableFrom(type) || type.isRecord()) {
            return "a mapping (key: value)";
        }
        if (java.util.List.class.isAssignableFrom(type)) {
            return "a list";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Duration.class) {
            return "a duration like 30s or 10m";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        if (Number.class.isAssignableFrom(type) || type.isPrimitive()) {
            return "a number";
        }
        return "a " + type.getSimpleName();
    }

    private static final class DurationDeserializer extends JsonDeserializer<Duration> {
        @Override
        public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            String text = p.getValueAsString();
            try {
                return Durations.parse(text == null ? p.getText() : text);
            } catch (IllegalArgumentException e) {
                throw new InvalidFormatException(p, "invalid duration: " + e.getMessage(), p.getText(), Duration.class);
            }
        }
    }
}
