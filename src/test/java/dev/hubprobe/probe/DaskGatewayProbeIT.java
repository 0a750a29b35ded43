package dev.hubprobe.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.testhub.Await;
import dev.hubprobe.testhub.DaskGateway;
import dev.hubprobe.testhub.Probes;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The shipped {@code probes/dask-gateway.yml} against a real Dask Gateway (local process clusters,
 * JupyterHub sign-in against the real test hub; see {@link DaskGateway}). After every test the gateway,
 * asked through its own REST API with the probe user's token, lists no cluster of that user, and none of
 * the schedulers or workers it started is still alive.
 */
@ExtendWith(RealHubExtension.class)
class DaskGatewayProbeIT {
    private final RealHub hub = RealHub.shared();

    private static ProbeDefinition shipped() throws Exception {
        return ProbeDefinition.load(RealHub.basedir().resolve("probes/dask-gateway.yml"));
    }

    /** What a person who owns {@code user} would see on the gateway: no cluster left, and no process of one. */
    private void assertNothingLeft(DaskGateway gateway, String user) throws Exception {
        List<String> clusters = gateway.clusters(hub.userToken(user));
        assertEquals(List.of(), clusters, "clusters of " + user + " the gateway still lists");
        Await.until("the gateway's schedulers and workers to end", 30, () -> gateway.clusterProcesses().isEmpty());
    }

    @Test
    void createsScalesComputesAndShutsDownAClusterAndMeasuresEachStep() throws Exception {
        String user = RealHub.user("dask");
        try (DaskGateway gateway = DaskGateway.start(hub)) {
            RunResult r = Probes.run(hub, user, shipped());
            assertTrue(r.passed(), () -> r.reason() + ": " + r.message() + "\n" + gatewayLog(gateway));
            String out = output(r);
            for (String m : List.of("cluster_start_seconds", "scale_up_seconds", "compute_seconds")) {
                assertTrue(r.measurement(m).filter(x -> x.value() > 0 && "seconds".equals(x.unit())).isPresent(),
                        () -> m + " not measured: " + r.measurements());
            }
            assertTrue(out.contains("sum of squares 2470"), out);
            // the cells shut the cluster down themselves; the cleanup still ran and stopped it again, harmlessly
            assertTrue(out.contains("stopped "), out);
            assertNothingLeft(gateway, user);
        }
    }

    @Test
    void aGatewayThatIsDownFailsTheRunNamingTheGateway() throws Exception {
        String user = RealHub.user("dask");
        try (DaskGateway gateway = DaskGateway.start(hub)) {
            gateway.stop(); // the servers keep its address, as after a gateway crash
            RunResult r = Probes.run(hub, user, shipped());
            assertEquals(Phase.EXECUTE, r.failedPhase(), r::message);
            assertTrue(r.message().contains("dask gateway at " + gateway.address() + ": cannot create a cluster"), r::message);
            Await.until("the gateway's schedulers and workers to end", 30, () -> gateway.clusterProcesses().isEmpty());
        }
    }

    @Test
    void workersThatCannotStartFailTheScaleUpAndTheClusterIsStopped() throws Exception {
        String user = RealHub.user("dask");
        try (DaskGateway gateway = DaskGateway.startWithBrokenWorkers(hub)) {
            RunResult r = Probes.run(hub, user, shipped());
            assertEquals(Phase.EXECUTE, r.failedPhase(), r::message);
            assertTrue(r.message().contains("scale_up_seconds"), r::message);
            assertTrue(r.message().contains("of 2 workers"), r::message);
            assertTrue(r.measurement("cluster_start_seconds").isPresent(), () -> "measured: " + r.measurements());
            assertTrue(r.measurement("scale_up_seconds").isEmpty(), () -> "a scale-up that never happened, measured: " + r.measurements());
            assertTrue(output(r).contains("stopped "), () -> "the cleanup did not stop the cluster:\n" + output(r));
            assertNothingLeft(gateway, user);
        }
    }

    /** Every cell's output in the run's transcript, as the run page shows it. */
    private static String output(RunResult r) {
        StringBuilder b = new StringBuilder();
        r.transcript().cells().forEach(c -> b.append(c.output()).append('\n').append(c.error() == null ? "" : c.error()).append('\n'));
        return b.toString();
    }

    private static String gatewayLog(DaskGateway g) {
        try {
            String log = g.logText();
            return log.substring(Math.max(0, log.length() - 4000));
        } catch (Exception e) {
            return "(no gateway log: " + e + ")";
        }
    }
}
