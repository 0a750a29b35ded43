package dev.hubprobe.probe.steps;

import dev.hubprobe.browser.Chromium;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeFailure;
import dev.hubprobe.probe.ProbeStep;
import dev.hubprobe.probe.Reason;

/**
 * A UI phase: the browser's own failures become the phase's reasons here, so that the runner's
 * classifier (loaded by every {@code check}) never needs the browser package.
 */
abstract class UiStep implements ProbeStep {
    @Override
    public final void run(ProbeContext ctx) {
        try {
            runInBrowser(ctx);
        } catch (Chromium.BrowserTimeoutException e) {
            throw new ProbeFailure(Reason.UI_TIMEOUT, phase().label() + " did not finish within timeouts.ui ("
                    + ctx.probe.timeouts().ui().toMillis() / 1000.0 + " s): " + e.getMessage());
        } catch (Chromium.BrowserException e) {
            throw new ProbeFailure(ctx.aborted ? Reason.ABORTED : Reason.UI_FAILED, phase().label() + ": the browser failed: " + e.getMessage());
        }
    }

    abstract void runInBrowser(ProbeContext ctx);
}
