package dev.hubprobe.probe.steps;

import dev.hubprobe.json.Json;
import dev.hubprobe.jupyter.DeadlineException;
import dev.hubprobe.jupyter.kernel.ExecuteResult;
import dev.hubprobe.jupyter.kernel.KernelChannel;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeFailure;
import dev.hubprobe.probe.ProbeStep;
import dev.hubprobe.probe.Reason;
import dev.hubprobe.probe.Transcript;
import java.util.List;

/**
 * Runs the probe's {@code cleanup} cells in the run's kernel after the cells, whatever happened to
 * them: a failed expectation, a cell past its deadline (the kernel is interrupted first, through the
 * server's REST API, so the cleanup is not queued behind it), a stop (its channel was closed to end
 * the cell: a new one is opened). Before the kernel's shutdown, within {@code timeouts.cleanup}.
 * Its failure never fails the run (the hub did nothing wrong): the runner keeps it as a note and as
 * this phase's {@code cleanup_failed} result.
 */
public final class CleanupCellsStep implements ProbeStep.Cleanup {
    /** How long to wait between tries while the interrupted cell still holds the kernel. */
    private static final long RETRY_NANOS = 200_000_000L;

    @Override
    public Phase phase() {
        return Phase.CLEANUP;
    }

    @Override
    public boolean needed(ProbeContext ctx) {
        return !ctx.probe.cleanup().isEmpty() && ctx.kernelId != null && ctx.kernels != null;
    }

    @Override
    public boolean failsRun() {
        return false;
    }

    @Override
    public void run(ProbeContext ctx) {
        long deadline = ctx.phaseDeadline();
        try {
            if (ctx.cellRunning) {
                try {
                    ctx.kernels.interrupt(ctx.kernelId);
                } catch (DeadlineException e) {
                    // said apart from slow cleanup cells: the 3 a.m. reader looks at the server, not at the probe's cells
                    throw new ProbeFailure(Reason.CLEANUP_FAILED, "the kernel's interrupt (POST /api/kernels/{id}/interrupt) did not"
                            + " answer within timeouts.cleanup: no cleanup cell ran");
                }
                ctx.notes.add("cleanup: interrupted the kernel, a cell was still running");
            }
            KernelChannel channel = ctx.channel;
            if (channel == null || !channel.isOpen()) {
                if (channel != null) {
                    channel.close();
                }
                channel = ctx.kernels.connect(ctx.kernelId, deadline);
                ctx.channel = channel; // the kernel's shutdown closes it
            }
            List<ProbeDefinition.Cell> cells = ctx.probe.cleanup();
            for (int i = 0; i < cells.size(); i++) {
                ProbeDefinition.Cell cell = cells.get(i);
                String where = "cleanup cell " + (i + 1) + " (" + cell.firstLine() + "): ";
                ExecuteResult r = execute(ctx, channel, cell.code(), deadline);
                ctx.cells.add(new Transcript.Cell(cell.code(), r.output() + r.stderr(),
                        r.ok() ? null : r.errorName() != null ? r.errorName() + ": " + r.errorValue() : "status " + r.status()));
                CellMeasurements.collect(ctx, r.stdout(), where);
                if (!r.ok() && !cell.expect().allowError()) {
                    throw new ProbeFailure(Reason.CLEANUP_FAILED, where + (r.errorName() != null
                            ? r.errorName() + ": " + r.errorValue() : "execute_reply status " + r.status()));
                }
            }
        } catch (DeadlineException e) {
            throw new ProbeFailure(Reason.CLEANUP_FAILED, "cleanup cells did not finish within timeouts.cleanup ("
                    + Json.abbreviate(e.getMessage(), 200) + ")");
        } catch (ProbeFailure e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ProbeFailure(Reason.CLEANUP_FAILED, "cleanup cells: " + Json.abbreviate(e.getMessage(), 300));
        }
    }

    /**
     * Runs one cleanup cell; one the kernel answers {@code aborted} (it was still leaving the interrupted
     * cell, and stop_on_error dropped what came meanwhile) is sent again until the deadline.
     */
    private static ExecuteResult execute(ProbeContext ctx, KernelChannel channel, String code, long deadline) {
        while (true) {
            ExecuteResult r = channel.execute(code, deadline);
            if (!"aborted".equals(r.status()) || ctx.clock.nanoTime() + RETRY_NANOS >= deadline) {
                return r;
            }
            try {
                Thread.sleep(RETRY_NANOS / 1_000_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return r;
            }
        }
    }
}
