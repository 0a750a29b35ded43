package dev.hubprobe.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
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
        System.exit(execute(args));
    }

    /** The commands, in the order help lists them. */
    private static final Map<String, Supplier<Object>> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("check", CheckCommand::new);
        COMMANDS.put("load", LoadCommand::new);
        COMMANDS.put("serve", ServeCommand::new);
        COMMANDS.put("validate-config", ValidateConfigCommand::new);
        COMMANDS.put("health", HealthCommand::new);
        COMMANDS.put("help", CommandLine.HelpCommand::new);
    }

    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new Main());
        // only the command asked for is modelled: picocli reads every option of every command it is
        // given, a quarter of a one-shot check's start when all were given each time
        String asked = java.util.Arrays.stream(args).filter(a -> !a.startsWith("-")).findFirst().orElse("");
        if (COMMANDS.containsKey(asked) && !asked.equals("help")) {
            cli.addSubcommand(asked, COMMANDS.get(asked).get());
        } else {
            COMMANDS.forEach((name, command) -> cli.addSubcommand(name, command.get()));
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
