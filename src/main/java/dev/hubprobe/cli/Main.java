package dev.hubprobe.cli;

/**
 * {@code hubprobe}: the command line. Exit codes: 0 passed, 1 probe failed, 2 usage or configuration error, 3 regressed.
 *
 * <p>The jar's main class names no picocli type anywhere (issue 25): the launcher looks {@code main}
 * up through every method this class declares, and the class-data archive checks its verifier's
 * assignability records when it loads the class; either loaded picocli, whose Java 5 classes no
 * archive holds, so a plain {@code check} read and verified three of them from the jar for nothing.
 * picocli's model of the commands is {@link Commands}.
 */
public final class Main {
    public static final int PASSED = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;
    /** check --baseline-from: the run passed but a phase got slower than the hub's baseline. */
    public static final int REGRESSED = 3;

    private Main() {
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("check")) {
            // check logs without logback (issue 25); set before anything logs, in this JVM of check's own
            dev.hubprobe.config.CheckLogging.use();
        }
        int status = execute(args);
        StopSignal.yieldToShutdown(); // stopped: the JVM ends as the signal says, not as the aborted run did
        System.exit(status);
    }

    public static int execute(String... args) {
        // a plain check is read without picocli (a quarter of a check's CPU, see CheckArgs); picocli reads the rest
        CheckCommand check = CheckArgs.parse(args);
        if (check != null) {
            return CheckArgs.execute(check);
        }
        return Commands.execute(args);
    }

    /** The version from the jar's manifest, so the binary says which build it is. */
    public static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
