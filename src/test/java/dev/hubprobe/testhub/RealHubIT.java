package dev.hubprobe.testhub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/**
 * The harness itself: a hub whose port another hub took before it could bind it still ends up a hub
 * of its own. (Seen in CI: in the compatibility matrix, one column's port went to another column's
 * hub, the harness took that hub's answer for its own, and all nine cells of the column failed with
 * 403s on tokens and passwords the other hub never had.)
 */
class RealHubIT {
    @Test
    void aHubWhosePortIsTakenLaunchesAgainElsewhereAndAnswersWithItsOwnToken() throws Exception {
        RealHub holder = RealHub.shared();
        RealHub hub = RealHub.startTryingFirst(RealHub.Spec.DEFAULT, holder.port());
        try {
            assertNotEquals(holder.port(), hub.port(), "the hub kept the port another hub holds");
            // its own token is taken where its URL points, and the other hub is untouched
            assertEquals(200, hub.get("/hub/api/user").statusCode(), "the hub at " + hub.url() + " refused its own token");
            assertEquals(200, holder.get("/hub/api/user").statusCode());
            String user = RealHub.user("ok");
            hub.startServer(user, "{}");
            try {
                assertTrue(hub.userModel(user).path("servers").has(""), () -> "no server on the hub: " + hub.url());
                assertTrue(holder.userModel(user) == null, "the server went to the other hub");
            } finally {
                hub.stopServer(user);
            }
            assertTrue(Files.readString(hub.log()).contains("another hub answers on port " + holder.port()),
                    "the hub's log does not say why it launched again");
        } finally {
            hub.stop();
        }
    }

    @Test
    void aHubWhosePortIsHeldByAListenerThatNeverAnswersLaunchesAgainElsewhere() throws Exception {
        // the proxy cannot bind it and only logs so; what answers there (here: nothing) says nothing
        try (ServerSocket held = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            RealHub hub = RealHub.startTryingFirst(RealHub.Spec.DEFAULT, held.getLocalPort());
            try {
                assertNotEquals(held.getLocalPort(), hub.port());
                assertEquals(200, hub.get("/hub/api/user").statusCode(), "the hub at " + hub.url() + " refused its own token");
                assertTrue(Files.readString(hub.log()).contains("port " + held.getLocalPort() + " (or one of the proxy's or the hub's) was bound"),
                        "the hub's log does not say why it launched again");
            } finally {
                hub.stop();
            }
        }
    }
}
