package dev.hubprobe.report;

import dev.hubprobe.environment.Environment;
import dev.hubprobe.environment.EnvironmentDiff;
import dev.hubprobe.json.Json;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.RunResult;
import java.util.Locale;

/** A short table a person reads in a CI log. */
public final class TextReport {
    private TextReport() {
    }

    // Numbers go through Json.fixed3 and %s, never %d or %.3f: Formatter's number path loads the locale
    // data, a cost of its own in a one-shot check.

    /**
     * What the hub wrote (its messages, versions, image name, a cell's notes) on one line of a CI log:
     * control characters replaced and line breaks folded, so a hostile or broken hub can neither
     * colour, rewrite (a carriage return) nor forge lines of the report (a "PASSED" of its own).
     */
    static String shown(String text) {
        return text == null ? "-" : Json.oneLine(text);
    }

    public static String render(RunResult r) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "hubprobe check: hub %s, probe %s, user %s%n", shown(r.hub()), shown(r.probe()),
                shown(r.user())));
        // what the hub is: which releases a run went against decides what its result means
        if (r.facts().containsKey("hub_version")) {
            b.append("  JupyterHub ").append(shown(r.facts().get("hub_version")));
            if (r.facts().containsKey("server_version")) {
                b.append(", single-user server ").append(shown(r.facts().get("server_version")));
            }
            b.append(System.lineSeparator());
        }
        b.append(String.format(Locale.ROOT, "  %-16s %-8s %9s  %s%n", "PHASE", "STATUS", "SECONDS", "DETAIL"));
        for (PhaseResult p : r.phases()) {
            String detail = p.reason() == null ? "" : p.reason().label() + ": " + shown(p.message());
            b.append(String.format(Locale.ROOT, "  %-16s %-8s %9s  %s%n", p.label(), p.status().label(),
                    p.status() == PhaseResult.Status.SKIPPED ? "-" : Json.fixed3(JsonReport.seconds(p.duration())),
                    detail));
        }
        for (PhaseResult p : r.spawnPhases()) {
            b.append(String.format(Locale.ROOT, "    %-18s %16s%n", p.label(), Json.fixed3(JsonReport.seconds(p.duration()))));
        }
        if (r.scaleUpObserved() != null) {
            b.append("  scale-up observed: ").append(r.scaleUpObserved() ? "yes" : "no").append(System.lineSeparator());
        }
        Environment env = r.environment();
        if (env != null) {
            b.append(String.format(Locale.ROOT, "  environment %s: image %s, python %s, %s packages%s%n", env.fingerprint(),
                    shown(env.image()), shown(env.python()), env.packageCount(), env.changed() ? " (changed)" : ""));
            if (env.diff() != null) {
                b.append("    since the previous run: ").append(shown(env.diff().summary(EnvironmentDiff.SUMMARY_ENTRIES))).append(System.lineSeparator());
            }
            if (env.sinceLastPass() != null) {
                b.append("    ").append(shown(env.sinceLastPass().line(EnvironmentDiff.SUMMARY_ENTRIES))).append(System.lineSeparator());
            }
        }
        for (dev.hubprobe.probe.Measurement m : r.measurements()) {
            b.append("  measurement ").append(shown(m.name())).append(": ").append(shown(m.display())).append(System.lineSeparator());
        }
        for (String note : r.notes()) {
            b.append("  note: ").append(shown(note)).append(System.lineSeparator());
        }
        if (r.passed()) {
            b.append(String.format(Locale.ROOT, "PASSED in %s s%n", Json.fixed3(JsonReport.seconds(r.duration()))));
        } else {
            b.append(String.format(Locale.ROOT, "FAILED in phase %s (%s) after %s s: %s%n", r.failedPhaseLabel(),
                    r.reason().label(), Json.fixed3(JsonReport.seconds(r.duration())), shown(r.message())));
        }
        return b.toString();
    }
}
