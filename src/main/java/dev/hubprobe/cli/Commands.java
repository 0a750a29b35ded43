package dev.hubprobe.cli;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** picocli's model of {@code hubprobe} and its commands: all but a plain {@code check} (see {@link CheckArgs}) are read here. */
@Command(name = "hubprobe", mixinStandardHelpOptions = true, versionProvider = Commands.Version.class,
        description = "Synthetic user probes for JupyterHub: log in, spawn, run code in a kernel, clean up.")
final class Commands implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

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

    static int execute(String... args) {
        CommandLine cli = new CommandLine(new Commands());
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
        cli.setParameterExceptionHandler(new Usage());
        return cli.execute(args);
    }

    /** How a usage error reads: one line naming it, one pointing at --help; exit 2. */
    private static final class Usage implements CommandLine.IParameterExceptionHandler {
        @Override
        public int handleParseException(CommandLine.ParameterException ex, String[] args) {
            ex.getCommandLine().getErr().println("hubprobe: " + ex.getMessage());
            ex.getCommandLine().getErr().println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            return Main.USAGE;
        }
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (check, load, serve, validate-config)");
    }

    /** {@code --version}. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"hubprobe " + Main.version()};
        }
    }
}
