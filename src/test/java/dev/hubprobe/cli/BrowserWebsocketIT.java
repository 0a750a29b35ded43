package dev.hubprobe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hubprobe.testhub.Cli;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The kernel websocket is opened as a browser opens it. The real hub's ws-ingress extension plays the
 * ingress in front of chosen users' servers (hubprobe_test_spawner.py): "noorigin" refuses upgrades
 * carrying Origin (a script's pass), "needorigin" lets one through only with Origin matching Host, and
 * "cookieonly" also refuses any request carrying a token; "oauthcallback" and "oauthcookie" break the
 * form login's OAuth hop to the server at its callback and cookie steps.
 */
@ExtendWith(RealHubExtension.class)
class BrowserWebsocketIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final RealHub hub = RealHub.shared();

    private Cli.Result byToken(String user) throws Exception {
        return Cli.run(Map.of("HUB_TOKEN", hub.serviceToken()), "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN",
                "--user", user, "--format", "json");
    }

    private Cli.Result byForm(String user) throws Exception {
        return Cli.run(Map.of("HUB_PASSWORD", hub.password()), "check", "--hub-url", hub.url(), "--username", user,
                "--password-env", "HUB_PASSWORD", "--format", "json");
    }

    private static JsonNode failed(Cli.Result r, String phase, String reason) throws Exception {
        assertEquals(1, r.exit(), () -> "exit code; stdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr());
        JsonNode json = JSON.readTree(r.stdout());
        assertEquals(phase, json.path("failed_phase").asText(), json::toString);
        assertEquals(reason, json.path("reason").asText(), json::toString);
        return json;
    }

    private void assertNoServer(String user) throws Exception {
        JsonNode model = hub.userModel(user);
        assertTrue(model == null || model.path("servers").isEmpty(), () -> "server left behind: " + model);
    }

    /** The ingress's refusals of this user's requests, from the single-user server's log in the hub's. */
    private List<String> refusals(long since, String user) throws Exception {
        List<String> out = new ArrayList<>();
        for (String line : hub.logSince(since).split("\n")) {
            if (line.contains("hubprobe-ws-ingress refused") && line.contains("/user/" + user + "/")) {
                out.add(line);
            }
        }
        return out;
    }

    private void assertRefusedWebsocket(JsonNode json, String user, long since) throws Exception {
        String message = json.path("message").asText();
        assertTrue(message.contains("refused with 403"), message);
        assertTrue(message.contains("Origin: " + hub.url().replaceAll("/+$", "")), message);
        assertTrue(message.contains("Clients without Origin") && message.contains("ingress"), message);
        List<String> refused = refusals(since, user);
        assertTrue(refused.stream().anyMatch(l -> l.contains("/channels")), () -> "the ingress saw no upgrade: " + refused);
        assertNoServer(user);
    }

    @Test
    void aWebsocketRefusedToBrowsersFailsKernelConnectByToken() throws Exception {
        String user = RealHub.user("noorigin");
        long since = hub.logSize();
        JsonNode json = failed(byToken(user), "kernel_connect", "websocket_rejected");
        assertRefusedWebsocket(json, user, since);
    }

    @Test
    void aWebsocketRefusedToBrowsersFailsKernelConnectByFormLogin() throws Exception {
        String user = RealHub.user("noorigin");
        long since = hub.logSize();
        JsonNode json = failed(byForm(user), "kernel_connect", "websocket_rejected");
        assertRefusedWebsocket(json, user, since);
    }

    @Test
    void aHealthyTokenRunSendsTheHubsOrigin() throws Exception {
        String user = RealHub.user("needorigin");
        long since = hub.logSize();
        CheckHappyPathIT.assertAllPassed(byToken(user), user);
        assertEquals(List.of(), refusals(since, user));
    }

    @Test
    void aHealthyFormLoginRunUsesCookiesAloneAndSendsTheHubsOrigin() throws Exception {
        String user = RealHub.user("cookieonly");
        long since = hub.logSize();
        CheckHappyPathIT.assertAllPassed(byForm(user), user);
        assertEquals(List.of(), refusals(since, user), "the server saw a token or an upgrade without Origin");
        assertNoServer(user);
    }

    @Test
    void theCookieOnlyIngressDoesRefuseTokens() throws Exception {
        // the check above can fail: the same server refuses the token a token run sends it
        String user = RealHub.user("cookieonly");
        long since = hub.logSize();
        JsonNode json = failed(byToken(user), "kernel_start", "auth_error");
        assertTrue(json.path("message").asText().contains("401"), json::toString);
        assertFalse(refusals(since, user).isEmpty());
        assertNoServer(user);
    }

    @Test
    void aBrokenOAuthCallbackIsOAuthFailedNamingTheStep() throws Exception {
        String user = RealHub.user("oauthcallback");
        JsonNode json = failed(byForm(user), "kernel_start", "oauth_failed");
        String message = json.path("message").asText();
        assertTrue(message.contains("failed at callback") && message.contains("oauth_callback answered 500"), message);
        assertNoServer(user);
    }

    @Test
    void aServerCookieThatDoesNotComeBackIsOAuthFailedAtTheCookieStep() throws Exception {
        String user = RealHub.user("oauthcookie");
        JsonNode json = failed(byForm(user), "kernel_start", "oauth_failed");
        String message = json.path("message").asText();
        assertTrue(message.contains("failed at cookie") && message.contains("authorize again"), message);
        assertNoServer(user);
    }
}
