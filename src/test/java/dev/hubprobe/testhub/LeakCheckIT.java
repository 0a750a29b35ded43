package dev.hubprobe.testhub;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Runs after every other integration test (see junit-platform.properties): whatever the tests did,
 * successes, failures and time-outs, the hub is left with no server and no kernel running.
 */
@Order(Integer.MAX_VALUE)
class LeakCheckIT {
    @SuppressWarnings("unused")
    private static final Class<?> ORDERER = ClassOrderer.OrderAnnotation.class;

    @Test
    void noServerOrKernelIsLeftOnTheHub() throws Exception {
        RealHub hub = RealHub.shared();
        assertEquals(List.of(), hub.activeServers(), "servers the hub still lists as running or pending");
        // Servers are stopped asynchronously by the hub; give their processes a moment to exit.
        long deadline = System.nanoTime() + 15_000_000_000L;
        List<String> procs = hub.serverProcesses();
        while (!procs.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(250);
            procs = hub.serverProcesses();
        }
        assertEquals(List.of(), procs, "single-user server or kernel processes still running under the hub");
    }
}
