package dev.hubprobe.probe.steps;

import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeStep;

/** Closes the channel and deletes the kernel the run started, whatever happened before. */
public final class KernelShutdownStep implements ProbeStep.Cleanup {
    @Override
    public Phase phase() {
        return Phase.KERNEL_SHUTDOWN;
    }

    @Override
    public boolean needed(ProbeContext ctx) {
        return ctx.kernelId != null || ctx.channel != null;
    }

    @Override
    public void run(ProbeContext ctx) {
        if (ctx.channel != null) {
            ctx.channel.close();
            ctx.channel = null;
        }
        if (ctx.kernelId != null) {
            ctx.kernels.delete(ctx.kernelId);
            ctx.kernelId = null;
        }
    }
}
