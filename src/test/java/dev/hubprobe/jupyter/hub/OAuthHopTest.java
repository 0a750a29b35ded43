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
}
