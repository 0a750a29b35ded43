package dev.hubprobe.probe.steps;

import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeStep;

/** Opens the kernel's channels websocket and waits for its kernel_info reply: the kernel is alive. */
public final class KernelConnectStep implements ProbeStep {
    @Override
    public Phase phase() {
        return Phase.KERNEL_CONNECT;
    }

    @Override
    public void run(ProbeContext ctx) {
        ctx.channel = ctx.kernels.connect(ctx.kernelId, ctx.phaseDeadline());
    }
}
