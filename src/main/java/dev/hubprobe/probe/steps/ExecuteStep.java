package dev.hubprobe.probe.steps;

import dev.hubprobe.json.Json;
import dev.hubprobe.jupyter.kernel.ExecuteResult;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeFailure;
import dev.hubprobe.probe.ProbeStep;
import dev.hubprobe.probe.Reason;
import dev.hubprobe.probe.Transcript;
import java.util.List;
import java.util.regex.Pattern;

/** Runs the probe's cells in order; a cell that raises or prints the wrong thing fails the run. */
public final class ExecuteStep implements ProbeStep {
    @Override
    public Phase phase() {
        return Phase.EXECUTE;
    }

    @Override
    public void run(ProbeContext ctx) {
        List<ProbeDefinition.Cell> cells = ctx.probe.cells();
        long deadline = ctx.phaseDeadline();
        for (int i = 0; i < cells.size(); i++) {
            ProbeDefinition.Cell cell = cells.get(i);
            String where = cells.size() == 1 ? "" : "cell " + (i + 1) + ": ";
            ExecuteResult r = ctx.channel.execute(cell.code(), deadline);
            ctx.cells.add(new Transcript.Cell(cell.code(), r.output() + r.stderr(),
                    r.ok() ? null : r.errorName() != null ? r.errorName() + ": " + r.errorValue() : "status " + r.status()));
            if (!r.ok() && !cell.expect().allowError()) {
                String error = r.errorName() != null ? r.errorName() + ": " + r.errorValue() : "execute_reply status " + r.status();
                throw new ProbeFailure(Reason.EXECUTE_ERROR, where + error);
            }
            check(where, cell.expect(), r.output());
        }
    }

    private static void check(String where, ProbeDefinition.Expect expect, String output) {
        if (expect.outputContains() != null && !output.contains(expect.outputContains())) {
            throw new ProbeFailure(Reason.OUTPUT_MISMATCH, where + "expected output containing '"
                    + Json.abbreviate(expect.outputContains(), 100) + "', got '" + Json.abbreviate(output, 200) + "'");
        }
        if (expect.outputMatches() != null && !Pattern.compile(expect.outputMatches()).matcher(output).find()) {
            throw new ProbeFailure(Reason.OUTPUT_MISMATCH, where + "expected output matching /"
                    + expect.outputMatches() + "/, got '" + Json.abbreviate(output, 200) + "'");
        }
    }
}
