package dev.hubprobe.jupyter.hub;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.hubprobe.jupyter.Deadline;
import dev.hubprobe.jupyter.HttpStatusException;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each step of the OAuth hop to the user's server, broken where a real hub cannot be made to break it
 * (the callback and cookie steps on the real hub: BrowserWebsocketIT). WireMock plays hub and server.
 */
class OAuthHopTest {
    private static final String AUTHORIZE = "/hub/api/oauth2/authorize";
    private static final String CALLBACK = "/user/ann/oauth_callback";
    private WireMockServer peer;
    private HubClient hub;

    @BeforeEach
    void start() {
        peer = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        peer.start();
        Deadline deadline = new Deadline(System::nanoTime);
        deadline.set(System.nanoTime() + TimeUnit.SECONDS.toNanos(20));
        hub = HubClient.create(HttpUrl.get(peer.baseUrl() + "/"), HubClientSettings.defaults("hubprobe-test"), deadline);
        peer.stubFor(get(urlPathEqualTo("/user/ann/files/")).willReturn(aResponse().withStatus(302)
                .withHeader("Location", AUTHORIZE + "?client_id=jupyterhub-user-ann&state=s1")));
    }

    @AfterEach
    void stop() {
        hub.close();
        peer.stop();
    }

    private OAuthFailedException hop() {
        return assertThrows(OAuthFailedException.class, () -> hub.authorizeServer(HttpUrl.get(peer.baseUrl() + "/user/ann/")));
    }

    @Test
    void anAuthorizeEndpointThatAnswersItselfFailsTheAuthorizeStep() {
        peer.stubFor(get(urlPathEqualTo(AUTHORIZE)).willReturn(aResponse().withStatus(403)
                .withHeader("Content-Type", "application/json").withBody("{\"message\": \"not allowed\"}")));
        OAuthFailedException e = hop();
        assertEquals("authorize", e.step());
        assertTrue(e.getMessage().contains("failed at authorize") && e.getMessage().contains("403"), e.getMessage());
    }

    @Test
    void anAuthorizeEndpointThatSendsTheBrowserElsewhereFailsTheAuthorizeStep() {
        peer.stubFor(get(urlPathEqualTo(AUTHORIZE)).willReturn(aResponse().withStatus(302).withHeader("Location", "/hub/home")));
        assertEquals("authorize", hop().step());
    }

    @Test
    void aCallbackThatFailsFailsTheCallbackStep() {
        peer.stubFor(get(urlPathEqualTo(AUTHORIZE)).willReturn(aResponse().withStatus(302)
                .withHeader("Location", CALLBACK + "?code=c1&state=s1")));
        peer.stubFor(get(urlPathEqualTo(CALLBACK)).willReturn(aResponse().withStatus(400)
                .withHeader("Content-Type", "application/json").withBody("{\"message\": \"OAuth state mismatch\"}")));
        OAuthFailedException e = hop();
        assertEquals("callback", e.step());
        assertTrue(e.getMessage().contains("OAuth state mismatch"), e.getMessage());
    }

    @Test
    void aCookieThatDoesNotComeBackFailsTheCookieStep() {
        peer.stubFor(get(urlPathEqualTo(AUTHORIZE)).willReturn(aResponse().withStatus(302)
                .withHeader("Location", CALLBACK + "?code=c1&state=s1")));
        // the callback sets no cookie and the server asks to be authorized again: a loop a browser shows as one
        peer.stubFor(get(urlPathEqualTo(CALLBACK)).willReturn(aResponse().withStatus(302).withHeader("Location", "/user/ann/files/")));
        OAuthFailedException e = hop();
        assertEquals("cookie", e.step());
        assertTrue(e.getMessage().contains("no jupyterhub-user-* cookie"), e.getMessage());
    }

    @Test
    void aGatewayErrorAtAuthorizeOrCallbackIsTheGatewayErrorNotAnOAuthFailure() {
        // a hub restart or a helm upgrade answers 502/503/504 (or 424) mid-hop: server_unreachable, as on main
        peer.stubFor(get(urlPathEqualTo(AUTHORIZE)).willReturn(aResponse().withStatus(503)));
        HttpUrl server = HttpUrl.get(peer.baseUrl() + "/user/ann/");
        HttpStatusException e = assertThrows(HttpStatusException.class, () -> hub.authorizeServer(server));
        assertEquals(503, e.status());
        peer.stubFor(get(urlPathEqualTo(AUTHORIZE)).willReturn(aResponse().withStatus(302)
                .withHeader("Location", CALLBACK + "?code=c1&state=s1")));
        for (int status : new int[] {502, 504, 424}) {
            peer.stubFor(get(urlPathEqualTo(CALLBACK)).willReturn(aResponse().withStatus(status)));
            e = assertThrows(HttpStatusException.class, () -> hub.authorizeServer(server));
            assertEquals(status, e.status());
        }
    }

    @Test
    void a500FromTheCallbackItselfStaysAnOAuthFailure() {
        // the server's own callback handler failing (the real hub's oauthcallback user) is the hop breaking
        peer.stubFor(get(urlPathEqualTo(AUTHORIZE)).willReturn(aResponse().withStatus(302)
                .withHeader("Location", CALLBACK + "?code=c1&state=s1")));
        peer.stubFor(get(urlPathEqualTo(CALLBACK)).willReturn(aResponse().withStatus(500)));
        OAuthFailedException e = hop();
        assertEquals("callback", e.step());
        assertTrue(e.getMessage().contains("oauth_callback answered 500"), e.getMessage());
    }

    @Test
    void a400AtTheCallbackSaysTheStateCookieMayNotHaveComeBack() {
        peer.stubFor(get(urlPathEqualTo(AUTHORIZE)).willReturn(aResponse().withStatus(302)
                .withHeader("Location", CALLBACK + "?code=c1&state=s1")));
        peer.stubFor(get(urlPathEqualTo(CALLBACK)).willReturn(aResponse().withStatus(400)));
        OAuthFailedException e = hop();
        assertEquals("callback", e.step());
        assertTrue(e.getMessage().contains("the OAuth state cookie may not have come back"), e.getMessage());
    }

    @Test
    void aHopStartingOffTheHubsOriginIsRefusedBeforeAnyRequest() {
        // the hop carries the hub's session cookies and token: it must not be sent to another origin
        // the same server by another name: another origin to a browser, so to the hub's cookies too
        HttpUrl elsewhere = HttpUrl.get("http://127.0.0.1:" + peer.port() + "/user/ann/");
        assertTrue(peer.baseUrl().startsWith("http://localhost:"), peer.baseUrl());
        OAuthFailedException e = assertThrows(OAuthFailedException.class, () -> hub.authorizeServer(elsewhere));
        assertEquals("authorize", e.step());
        assertTrue(e.getMessage().contains("off the hub's origin"), e.getMessage());
        assertEquals(0, peer.getAllServeEvents().size(), "nothing was requested");
    }
}
