package dev.hubprobe.cli;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code hubprobe}: the command line. Exit codes: 0 passed, 1 probe failed, 2 usage or configuration error, 3 regressed. */
@Command(name = "hubprobe", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Synthetic user probes for JupyterHub: log in, spawn, run code in a kernel, clean up.")
public final class Main implements Runnable {
    public static final int PASSED = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;
    /** check --baseline-from: the run passed but a phase got slower than the hub's baseline. */
    public static final int REGRESSED = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("check")) {
            // check logs without logback (issue 25); set before anything logs, in this JVM of check's own
            dev.hubprobe.config.CheckLogging.use();
        }
        System.exit(execute(args));
    }

    /** The commands, in the order help lists them. */
    private static final List<String> COMMANDS = List.of("check", "load", "serve", "validate-config", "health", "help");

    /*
     * A switch, not a map of constructor references: each reference was a lambda bootstrapped at start
     * and loaded its command's class (serve's with its Micrometer signatures) though one command runs
     * (issue 25).
     */
    private static Object command(String name) {
        switch (name) {
            case "check": return new CheckCommand();
            case "load": return new LoadCommand();
            case "serve": return new ServeCommand();
            case "validate-config": return new ValidateConfigCommand();
            case "health": return new HealthCommand();
            case "help": return new CommandLine.HelpCommand();
            default: throw new IllegalArgumentException(name);
        }
    }

    public static int execute(String... args) {
        // a plain check is read without picocli (a quarter of a check's CPU, see CheckArgs); picocli reads the rest
        CheckCommand check = CheckArgs.parse(args);
        if (check != null) {
            return CheckArgs.execute(check);
        }
        CommandLine cli = new CommandLine(new Main());
        // only the command asked for is modelled: picocli reads every option of every command it is
        // given, a quarter of a one-shot check's start when all were given each time
        String asked = "";
        for (String a : args) {
            if (!a.startsWith("-")) {
                asked = a;
                break;
            }
        }
        if (COMMANDS.contains(asked) && !asked.equals("help")) {
            cli.addSubcommand(asked, command(asked));
        } else {
            for (String name : COMMANDS) {
                cli.addSubcommand(name, command(name));
            }
        }
        cli.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("hubprobe: " + ex.getMessage());
            ex.getCommandLine().getErr().println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            return USAGE;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (check, load, serve, validate-config)");
    }

    /** The version from the jar's manifest, so the binary says which build it is. */
    public static final class Version implements CommandLine.IVersionProvider {
        public static String get() {
            String v = Main.class.getPackage().getImplementationVersion();
            return v == null ? "dev" : v;
        }

        @Override
        public String[] getVersion() {
            return new String[] {"hubprobe " + get()};
        }
    }
}
