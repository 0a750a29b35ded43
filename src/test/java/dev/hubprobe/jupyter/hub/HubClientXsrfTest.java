package dev.hubprobe.jupyter.hub;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.hubprobe.jupyter.Deadline;
import dev.hubprobe.jupyter.DeadlineException;
import dev.hubprobe.jupyter.HttpStatusException;
import java.util.concurrent.CompletionException;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A form-login session's writes carry the {@code _xsrf} value the hub expects, taken from the hub's own
 * answers. The real 4.1 and 5.x hubs are in CompatibilityMatrixIT; here are the two answers that
 * matter, shaped as JupyterHub shapes them: the stale cookie 4.1 to 5.4 set at login, replaced by the
 * next page view, and a refusal that carries the cookie the hub now wants.
 */
class HubClientXsrfTest {
    private static final String SERVER = "/hub/api/users/ann/server";
    private WireMockServer hub;
    private HubClient client;

    @BeforeEach
    void start() {
        hub = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        hub.start();
        client = HubClient.create(HttpUrl.get(hub.baseUrl() + "/"), HubClientSettings.defaults("hubprobe-test"),
                new Deadline(System::nanoTime));
        hub.stubFor(get(urlEqualTo("/hub/login")).willReturn(aResponse().withStatus(200)
                .withHeader("Set-Cookie", "_xsrf=anon; Path=/hub/")
                .withBody("<form><input type=\"hidden\" name=\"_xsrf\" value=\"anon\"/></form>")));
        // as 4.1 to 5.4 do: the login sets an _xsrf cookie made before the session id was known
        hub.stubFor(post(urlPathEqualTo("/hub/login")).willReturn(aResponse().withStatus(302)
                .withHeader("Location", "/hub/home")
                .withHeader("Set-Cookie", "_xsrf=stale; Path=/hub/", "jupyterhub-session-id=s1; Path=/")));
    }

    @AfterEach
    void stop() {
        client.close();
        hub.stop();
    }

    private void serverAcceptsOnly(String xsrf) {
        hub.stubFor(post(urlEqualTo(SERVER)).atPriority(9).willReturn(aResponse().withStatus(403)
                .withBody("{\"status\": 403, \"message\": \"XSRF cookie does not match POST argument\"}")));
        hub.stubFor(post(urlEqualTo(SERVER)).atPriority(1).withHeader("X-XSRFToken", equalTo(xsrf))
                .willReturn(aResponse().withStatus(202)));
    }

    @Test
    void theSessionsXsrfCookieSetByTheHomePageAfterLoginIsWhatWritesCarry() {
        hub.stubFor(get(urlEqualTo("/hub/home")).willReturn(aResponse().withStatus(200)
                .withHeader("Set-Cookie", "_xsrf=fresh; Path=/hub/").withBody("<html>home</html>")));
        serverAcceptsOnly("fresh");
        client.formLogin("ann", "pw");
        assertEquals(202, client.requestServer("ann", "", null, "5.2.1").join());
        hub.verify(1, postRequestedFor(urlEqualTo(SERVER)));
    }

    @Test
    void aWriteRefusedWithANewXsrfCookieIsSentOnceMoreWithIt() {
        hub.stubFor(get(urlEqualTo("/hub/home")).willReturn(aResponse().withStatus(200).withBody("<html>home</html>")));
        serverAcceptsOnly("fresh");
        // the refusal sets the cookie the hub now expects, as JupyterHub's xsrf check does on a stale one
        hub.stubFor(post(urlEqualTo(SERVER)).atPriority(5).withHeader("X-XSRFToken", equalTo("stale"))
                .willReturn(aResponse().withStatus(403).withHeader("Set-Cookie", "_xsrf=fresh; Path=/hub/")
                        .withBody("{\"status\": 403, \"message\": \"XSRF cookie does not match POST argument\"}")));
        client.formLogin("ann", "pw");
        assertEquals(202, client.requestServer("ann", "", null, "5.2.1").join());
        hub.verify(2, postRequestedFor(urlEqualTo(SERVER)));
    }

    @Test
    void aSecondRefusalStandsAndNamesTheHubsReason() {
        hub.stubFor(get(urlEqualTo("/hub/home")).willReturn(aResponse().withStatus(200).withBody("<html>home</html>")));
        // a hub that refuses every write, with a new cookie each time: no loop, the 403 is the answer
        hub.stubFor(post(urlEqualTo(SERVER)).willReturn(aResponse().withStatus(403).withHeader("Set-Cookie", "_xsrf=other; Path=/hub/")
                .withBody("{\"status\": 403, \"message\": \"XSRF cookie does not match POST argument\"}")));
        client.formLogin("ann", "pw");
        CompletionException e = assertThrows(CompletionException.class, () -> client.requestServer("ann", "", null, "5.2.1").join());
        HttpStatusException status = (HttpStatusException) e.getCause();
        assertEquals(403, status.status());
        assertTrue(status.getMessage().contains("XSRF cookie does not match"), status::getMessage);
        hub.verify(2, postRequestedFor(urlEqualTo(SERVER)));
    }

    @Test
    void aWriteRefusedForAnotherReasonIsNotSentAgainEvenWithANewXsrfCookie() {
        hub.stubFor(get(urlEqualTo("/hub/home")).willReturn(aResponse().withStatus(200).withBody("<html>home</html>")));
        // a pre_spawn_start hook refusing the spawn; the same answer happens to set a new _xsrf cookie. The
        // write was not an xsrf refusal: sending it again would ask for a second spawn.
        hub.stubFor(post(urlEqualTo(SERVER)).willReturn(aResponse().withStatus(403).withHeader("Set-Cookie", "_xsrf=fresh; Path=/hub/")
                .withBody("{\"status\": 403, \"message\": \"over quota: ann has used 40 of 40 hours\"}")));
        client.formLogin("ann", "pw");
        CompletionException e = assertThrows(CompletionException.class, () -> client.requestServer("ann", "", null, "5.2.1").join());
        HttpStatusException status = (HttpStatusException) e.getCause();
        assertEquals(403, status.status());
        assertTrue(status.getMessage().contains("over quota"), status::getMessage);
        hub.verify(1, postRequestedFor(urlEqualTo(SERVER)));
    }

    @Test
    void aTornadoXsrfRefusalInAnHtmlPageIsRecognisedToo() {
        hub.stubFor(get(urlEqualTo("/hub/home")).willReturn(aResponse().withStatus(200).withBody("<html>home</html>")));
        serverAcceptsOnly("fresh");
        // a handler outside the JSON API answers tornado's own wording in an HTML error page
        hub.stubFor(post(urlEqualTo(SERVER)).atPriority(5).withHeader("X-XSRFToken", equalTo("stale"))
                .willReturn(aResponse().withStatus(403).withHeader("Set-Cookie", "_xsrf=fresh; Path=/hub/")
                        .withBody("<html><body>403 : Forbidden ('_xsrf' argument missing from POST)</body></html>")));
        client.formLogin("ann", "pw");
        assertEquals(202, client.requestServer("ann", "", null, "5.2.1").join());
        hub.verify(2, postRequestedFor(urlEqualTo(SERVER)));
    }

    @Test
    void aHomePageThatOutlastsTheLoginsBudgetEndsTheLoginAsATimeout() {
        hub.stubFor(get(urlEqualTo("/hub/home")).willReturn(aResponse().withStatus(200).withFixedDelay(4000).withBody("<html>home</html>")));
        Deadline deadline = new Deadline(System::nanoTime);
        try (HubClient timed = HubClient.create(HttpUrl.get(hub.baseUrl() + "/"), HubClientSettings.defaults("hubprobe-test"), deadline)) {
            deadline.set(System.nanoTime() + java.time.Duration.ofMillis(1500).toNanos());
            // the phase is out of time: that is the login's outcome, not a home page to shrug off
            assertThrows(DeadlineException.class, () -> timed.formLogin("ann", "pw"));
        }
    }
}
