package dev.hubprobe.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hubprobe.testhub.Await;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import dev.hubprobe.testhub.Service;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The status page as people use it, in a real browser (Debian's headless Chromium) against the
 * service probing two hubs of the real test hub, one of which cannot spawn until it is fixed.
 */
@ExtendWith(RealHubExtension.class)
class StatusPageIT {
    private static final String READ_TOKEN = "status-it-read-token";
    private final RealHub hub = RealHub.shared();

    @TempDir
    Path dir;

    private Service start(String healthy, String broken, String statusPage) throws Exception {
        Path cfg = dir.resolve("hubprobe-" + System.nanoTime() + ".yml");
        Files.writeString(cfg, """
                probes_dir: %s
                history: {path: data/h}
                defaults: {interval: 10s}
                scheduler: {jitter: 1s}
                %s
                hubs:
                  - {name: healthy, url: %s, auth: {token: "${env:HUB_TOKEN}"}, user: %s, probes: [{probe: kernel-smoke}]}
                  - {name: broken, url: %s, auth: {token: "${env:HUB_TOKEN}"}, user: %s, probes: [{probe: kernel-smoke}]}
                """.formatted(RealHub.basedir().resolve("probes"), statusPage, hub.url(), healthy, hub.url(), broken));
        return Service.start(cfg, Map.of("HUB_TOKEN", hub.serviceToken(), "READ_TOKEN", READ_TOKEN), dir.resolve("svc.log"));
    }

    private static void awaitRuns(Service s, String hubName, String filter, int n) throws Exception {
        Await.until(n + " runs of " + hubName, 120, () -> {
            try {
                return s.json("/api/v1/runs?hub=" + hubName + filter, "Authorization", "Bearer " + READ_TOKEN).size() >= n;
            } catch (Exception e) {
                return false;
            }
        });
    }

    /**
     * A look at the live part of the page, which swaps itself in place every few seconds: an element
     * found just before a swap is gone by the time it is read, and the look is simply taken again.
     */
    private static java.util.concurrent.Callable<Boolean> live(java.util.concurrent.Callable<Boolean> look) {
        return () -> {
            try {
                return look.call();
            } catch (org.openqa.selenium.StaleElementReferenceException e) {
                return false;
            }
        };
    }

    /** The text of a live part of the page, read again if a swap replaced it mid-read. */
    private static String liveText(org.openqa.selenium.WebDriver driver, By by) {
        for (int attempt = 0; ; attempt++) {
            try {
                return driver.findElement(by).getText();
            } catch (org.openqa.selenium.StaleElementReferenceException e) {
                if (attempt == 5) {
                    throw e;
                }
            }
        }
    }

    private static WebElement section(Browser b, String hubName) {
        return b.driver.findElement(By.cssSelector("section.hub[data-hub='" + hubName + "']"));
    }

    private static void assertNoErrors(Browser b, String page) {
        List<String> errors = b.errors();
        assertTrue(errors.isEmpty(), () -> "errors in the browser console on " + page + ": " + errors);
    }

    @Test
    void operatorsSeeBothHubsTheFailureAndItsRecoveryWithoutAReload() throws Exception {
        String healthy = RealHub.user("ok");
        String broken = RealHub.user("ok");
        hub.control("fail-" + broken, "1");
        try (Service s = start(healthy, broken, ""); Browser b = new Browser()) {
            awaitRuns(s, "healthy", "&status=passed", 1);
            awaitRuns(s, "broken", "&status=failed", 2); // the shipped policy pages after two failures

            b.driver.get(s.url() + "/");
            assertEquals("hubprobe", b.driver.getTitle());
            assertEquals("passing", section(b, "healthy").getAttribute("data-state"));
            assertTrue(section(b, "healthy").getText().contains("Passing"), "the state in words, not only in colour");
            WebElement failing = section(b, "broken");
            assertEquals("failing", failing.getAttribute("data-state"));
            assertTrue(failing.getText().contains("Failing"));
            assertEquals("spawn", failing.findElement(By.cssSelector("td.detail .phase")).getText());
            assertEquals("spawn_failed", failing.findElement(By.cssSelector("td.detail .reason")).getText());
            assertTrue(failing.findElement(By.cssSelector("td.detail .message")).getText().contains("switched to failing"),
                    failing::getText);
            assertTrue(b.driver.findElement(By.id("alerts")).getText().contains("broken"), "the open alert is listed");
            assertTrue(b.driver.findElement(By.id("incidents")).getText().contains("ongoing"), "and is an ongoing incident");

            // the chart of the healthy hub has points, drawn on a canvas
            Await.until("the healthy hub's chart", 30, live(() -> {
                String points = section(b, "healthy").findElement(By.cssSelector(".chart")).getAttribute("data-points");
                return points != null && Integer.parseInt(points) > 0;
            }));
            WebElement canvas = section(b, "healthy").findElement(By.cssSelector(".chart canvas"));
            assertTrue(canvas.getSize().getWidth() > 200 && canvas.getSize().getHeight() > 100, "a chart that takes space");
            b.screenshot("status-page");
            assertNoErrors(b, "/");

            // fixed at runtime: the same page turns it green without a reload, within one probe interval
            b.js("window.hubprobeNoReload = 42;");
            hub.clearControl("fail-" + broken);
            awaitRuns(s, "broken", "&status=passed", 1);
            long landed = System.nanoTime();
            Await.until("the broken hub turning green within one interval of its passing run", 10,
                    live(() -> "passing".equals(section(b, "broken").getAttribute("data-state"))));
            System.out.printf("status page turned green %.1f s after the passing run was recorded (interval 10 s)%n",
                    (System.nanoTime() - landed) / 1e9);
            assertEquals(42L, b.js("return window.hubprobeNoReload;"), "the page was not reloaded");
            Await.until("the incident closed", 60, live(() -> !b.driver.findElement(By.id("incidents")).getText().contains("ongoing")));
            String incidents = liveText(b.driver, By.id("incidents"));
            assertTrue(incidents.contains("failing in spawn (spawn_failed)"), incidents);
            assertEquals(42L, b.js("return window.hubprobeNoReload;"), "still the same page");
            assertNoErrors(b, "/ after the fix");

            // the failed run's page: every phase, the failing one marked, and its message
            JsonNode failed = s.json("/api/v1/runs?hub=broken&status=failed&limit=1").get(0);
            b.driver.get(s.url() + "/runs/" + failed.path("run_id").asText());
            List<WebElement> rows = b.driver.findElements(By.cssSelector("#phases tbody tr"));
            assertEquals(failed.path("phases").size(), rows.size(), "one row per phase");
            WebElement spawn = b.driver.findElement(By.cssSelector("#phases tr[data-phase='spawn']"));
            assertEquals("failed", spawn.getAttribute("class"));
            assertTrue(spawn.getText().contains("failed") && spawn.getText().contains("spawn_failed"), spawn::getText);
            assertTrue(b.driver.findElement(By.cssSelector("#failure .message")).getText().contains("switched to failing"));
            assertTrue(b.driver.findElement(By.cssSelector("#phases tr[data-phase='kernel_start']")).getText().contains("skipped"));
            assertFalse(b.driver.findElements(By.cssSelector("a[rel='prev'], a[rel='next']")).isEmpty(), "links to other runs");
            b.screenshot("run-page");
            assertNoErrors(b, "/runs/{id}");

            // a passing run's page shows its cell output and progress events
            JsonNode passed = s.json("/api/v1/runs?hub=healthy&status=passed&limit=1").get(0);
            b.driver.get(s.url() + "/runs/" + passed.path("run_id").asText());
            assertFalse(b.driver.findElements(By.cssSelector("ol.events li")).isEmpty(), "progress events");
            assertFalse(b.driver.findElements(By.cssSelector("article.cell pre.output")).isEmpty(), "cell output");
            String versions = b.driver.findElement(By.cssSelector("p.versions")).getText();
            assertTrue(versions.matches("JupyterHub \\S+ · single-user server \\S+"), versions);
            assertNoErrors(b, "a passing run");

            // a hub's history, filtered and paged; bad input is a page that says what is wrong
            b.driver.get(s.url() + "/hubs/broken?status=failed");
            assertFalse(b.driver.findElements(By.cssSelector("#runs tbody tr.failed")).isEmpty());
            assertTrue(b.driver.findElements(By.cssSelector("#runs tbody tr.passed")).isEmpty(), "filtered");
            assertNoErrors(b, "/hubs/broken");
            b.driver.get(s.url() + "/hubs/broken?page=abc");
            assertEquals("Bad request", b.driver.findElement(By.tagName("h1")).getText());
            assertTrue(b.driver.findElement(By.id("problem")).getText().contains("page must be a whole number"));
            b.driver.get(s.url() + "/runs/00000000-0000-0000-0000-000000000000");
            assertEquals("Not found", b.driver.findElement(By.tagName("h1")).getText());
            b.driver.get(s.url() + "/hubs/nosuchhub");
            assertEquals("Not found", b.driver.findElement(By.tagName("h1")).getText());
            b.errors(); // those 400 and 404 answers are logged by the browser, as they should be
            assertEquals(404, s.get("/runs/nope").statusCode());
            assertTrue(s.get("/runs/nope").body().startsWith("{\"error\""), "JSON for a client that did not ask for HTML");
        } finally {
            hub.clearControl("fail-" + broken);
        }
    }

    @Test
    void thePublicPageShowsStatesButNoMessagesOrRunLinksAndTheOperatorViewNeedsTheToken() throws Exception {
        String healthy = RealHub.user("ok");
        String broken = RealHub.user("ok");
        hub.control("fail-" + broken, "1");
        String page = """
                server: {read_token: "${env:READ_TOKEN}"}
                status_page: {public: true, title: "Example Hub status", hubs: [healthy]}
                """;
        try (Service s = start(healthy, broken, page); Browser b = new Browser()) {
            awaitRuns(s, "healthy", "&status=passed", 1);
            awaitRuns(s, "broken", "&status=failed", 1);
            b.driver.get(s.url() + "/");
            assertEquals("Example Hub status", b.driver.getTitle());
            assertEquals("passing", section(b, "healthy").getAttribute("data-state"));
            assertTrue(b.driver.findElements(By.cssSelector("section.hub[data-hub='broken']")).isEmpty(), "only the listed hubs");
            assertTrue(b.driver.findElements(By.cssSelector("a[href^='/runs/'], a[href^='/hubs/']")).isEmpty(), "no run links");
            assertTrue(b.driver.findElements(By.cssSelector(".detail, .message")).isEmpty(), "no messages");
            String text = b.driver.findElement(By.tagName("body")).getText();
            assertFalse(text.contains(healthy) || text.contains("127.0.0.1"), "nothing names a user or a host: " + text);
            assertFalse(b.driver.getPageSource().contains(healthy), "not even in the markup");
            Await.until("the public chart", 30, () -> section(b, "healthy").findElement(By.cssSelector(".chart"))
                    .getAttribute("data-points") != null);
            b.screenshot("status-page-public");
            assertNoErrors(b, "the public page");
            assertTrue(s.get("/badges/healthy.svg").body().contains("passing"));
            assertEquals(404, s.get("/badges/broken.svg").statusCode(), "a hub not listed is not shown");
            assertEquals(404, s.get("/status/series/broken").statusCode());

            // the operator view needs the token: refused, then a sign-in form, then everything
            String runId = s.json("/api/v1/runs?hub=broken&status=failed&limit=1", "Authorization", "Bearer " + READ_TOKEN)
                    .get(0).path("run_id").asText();
            assertEquals(401, s.get("/runs/" + runId).statusCode());
            assertEquals(401, s.get("/hubs/broken").statusCode());
            b.driver.get(s.url() + "/runs/" + runId);
            b.errors(); // the 401 itself
            WebElement token = b.driver.findElement(By.id("token"));
            token.sendKeys("wrong");
            token.submit();
            assertTrue(b.driver.findElement(By.cssSelector("[role='alert']")).getText().contains("not the one configured"));
            b.errors();
            b.driver.findElement(By.id("token")).sendKeys(READ_TOKEN);
            b.driver.findElement(By.cssSelector("form.login button")).click();
            Await.until("the run page after signing in", 10, () -> b.driver.getCurrentUrl().endsWith("/runs/" + runId));
            assertTrue(b.driver.findElement(By.cssSelector("#failure .message")).getText().contains("switched to failing"));
            b.driver.get(s.url() + "/");
            assertFalse(b.driver.findElements(By.cssSelector("section.hub[data-hub='broken'] td.detail .message")).isEmpty(),
                    "the operator view has everything");
            assertNoErrors(b, "the operator view");
        } finally {
            hub.clearControl("fail-" + broken);
        }
    }

    /** How many times the page in this tab asked for its live part so far, and when (its own clock, ms). */
    @SuppressWarnings("unchecked")
    private static List<Number> fragmentFetches(Browser b) {
        return (List<Number>) b.js("return performance.getEntriesByType('resource')"
                + ".filter(function (e) { return e.name.indexOf('/status/fragment') >= 0; }).map(function (e) { return e.startTime; });");
    }

    @Test
    void theBannerSaysFirstWhichHubFailsSinceWhenAndAHiddenTabAsksNothing() throws Exception {
        String healthy = RealHub.user("ok");
        String broken = RealHub.user("ok");
        hub.control("fail-" + broken, "1");
        try (Service s = start(healthy, broken, ""); Browser b = new Browser()) {
            awaitRuns(s, "healthy", "&status=passed", 1);
            awaitRuns(s, "broken", "&status=failed", 1);
            b.driver.get(s.url() + "/");
            // the first thing under the title, in words
            assertEquals("banner", b.js("return document.querySelector('header h1').nextElementSibling.id;"));
            String banner = liveText(b.driver, By.id("banner"));
            assertTrue(banner.matches("broken has been failing since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC \\(for \\d+ minutes?\\)\\."),
                    banner);
            // uptimes alike: the healthy hub's 100.00% beside the broken one's 0.00%
            assertEquals("100.00%", section(b, "healthy").findElement(By.cssSelector("td.num")).getText());
            assertEquals("0.00%", section(b, "broken").findElement(By.cssSelector("td.num")).getText());

            // another tab in front: this one is hidden, and asks nothing until it is seen again
            Await.until("the page's first poll", 20, () -> !fragmentFetches(b).isEmpty());
            b.js("window.seen = []; document.addEventListener('visibilitychange', function () {"
                    + " window.seen.push([document.visibilityState, performance.now()]); });");
            String page = b.driver.getWindowHandle();
            b.driver.switchTo().newWindow(org.openqa.selenium.WindowType.TAB);
            b.driver.get("about:blank");
            Thread.sleep(13_000); // more than two poll intervals
            b.driver.close();
            b.driver.switchTo().window(page);
            Await.until("the page seen again", 10, () -> ((List<?>) b.js("return window.seen;")).size() >= 2);
            @SuppressWarnings("unchecked")
            List<List<Object>> seen = (List<List<Object>>) b.js("return window.seen;");
            assertEquals("hidden", seen.get(0).get(0), "the browser hid the tab: " + seen);
            assertEquals("visible", seen.get(1).get(0), seen::toString);
            double hidden = ((Number) seen.get(0).get(1)).doubleValue();
            double shown = ((Number) seen.get(1).get(1)).doubleValue();
            assertTrue(shown - hidden > 10_000, "hidden for " + (shown - hidden) + " ms");
            assertEquals(List.of(), fragmentFetches(b).stream().map(Number::doubleValue).filter(t -> t > hidden && t < shown - 500).toList(),
                    () -> "no poll while hidden (" + seen + ", polls at " + fragmentFetches(b) + ")");
            Await.until("a poll as soon as the tab is seen again", 3,
                    () -> fragmentFetches(b).stream().map(Number::doubleValue).anyMatch(t -> t >= shown - 500 && t < shown + 1_500)); // the page's own listener runs just before ours

            // fixed: the banner says so without a reload
            b.js("window.hubprobeNoReload = 7;");
            hub.clearControl("fail-" + broken);
            // resolve_after (2) passes: until the failure alert resolves, the banner names the hub's open alert
            awaitRuns(s, "broken", "&status=passed", 2);
            Await.until("the banner saying every hub works", 15, live(() -> liveText(b.driver, By.id("banner")).equals("All hubs are working.")));
            assertEquals("passing", b.driver.findElement(By.cssSelector("#banner p.banner")).getAttribute("data-state"));
            assertEquals(7L, b.js("return window.hubprobeNoReload;"), "the page was not reloaded");
            b.screenshot("status-page-banner");
            assertNoErrors(b, "/ with its banner");
        } finally {
            hub.clearControl("fail-" + broken);
        }
    }
}
