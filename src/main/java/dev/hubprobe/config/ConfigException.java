package dev.hubprobe.config;

/**
 * A configuration or probe file that cannot be used. The message always names the file, and when
 * known the line and the key path, so an operator can go straight to the mistake.
 */
public class ConfigException extends Exception {
    private final String file;
    private final int line;
    private final String keyPath;
    private final String problem;

    public ConfigException(String file, int line, String keyPath, String problem) {
        super(format(file, line, keyPath, problem));
        this.file = file;
        this.line = line;
        this.keyPath = keyPath;
        this.problem = problem;
    }

    private static String format(String file, int line, String keyPath, String problem) {
        StringBuilder b = new StringBuilder();
        // a command-line option names itself; only a file's key needs the file
        if (file != null || keyPath == null || !keyPath.startsWith("--")) {
            b.append(file == null ? "<config>" : file);
            if (line > 0) {
                b.append(':').append(line);
            }
            b.append(": ");
        }
        if (keyPath != null && !keyPath.isEmpty()) {
            b.append(keyPath).append(": ");
        }
        return b.append(problem).toString();
    }

    public String file() {
        return file;
    }

    /** 1-based line, or 0 when unknown. */
    public int line() {
        return line;
    }

    public String keyPath() {
        return keyPath;
    }

    public String problem() {
        return problem;
    }
}
