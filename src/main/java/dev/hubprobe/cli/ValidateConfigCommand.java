package dev.hubprobe.cli;

import dev.hubprobe.config.ConfigException;
import dev.hubprobe.service.LoadedConfig;
import dev.hubprobe.service.ServiceConfigLoader;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code hubprobe validate-config FILE}: exit 0 when the service would start with it, 2 with the error otherwise. */
@Command(name = "validate-config", mixinStandardHelpOptions = true,
        description = "Check a service configuration and the probe files it names; exit 0 (valid) or 2.")
public final class ValidateConfigCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "FILE")
    Path file;

    @CommandLine.Option(names = "--connect", description = "Also connect to the history's database (PostgreSQL: address, "
            + "user and password are checked).")
    boolean connect;

    @Override
    public Integer call() {
        try {
            LoadedConfig c = ServiceConfigLoader.load(file);
            if (connect) {
                try (dev.hubprobe.history.Database db = c.openDatabase()) {
                    db.check();
                } catch (IllegalArgumentException | java.io.IOException | java.sql.SQLException e) {
                    spec.commandLine().getErr().println("hubprobe: " + file + ": history: " + e.getMessage());
                    return Main.USAGE;
                }
            }
            spec.commandLine().getOut().printf("%s: valid, %d probes on %d hubs%n  history: %s%s%n", file, c.probes().size(),
                    c.probes().stream().map(p -> p.hub()).distinct().count(), c.historyWhere(), connect ? " (connected)" : "");
            return Main.PASSED;
        } catch (ConfigException e) {
            spec.commandLine().getErr().println("hubprobe: " + e.getMessage());
            return Main.USAGE;
        }
    }
}
