package dev.hubprobe.web;

import java.awt.Image;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import javax.imageio.ImageIO;
import dev.hubprobe.testhub.Await;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * Debian's headless Chromium driven through its own chromedriver (both from apt, installed by
 * scripts/setup-machine.sh): nothing is downloaded at test time.
 */
public final class Browser implements AutoCloseable {
    private static final String CHROMIUM = "/usr/bin/chromium";
    private static final String DRIVER = "/usr/bin/chromedriver";
    public final ChromeDriver driver;

    public Browser() {
        if (!new File(CHROMIUM).canExecute() || !new File(DRIVER).canExecute()) {
            throw new IllegalStateException(CHROMIUM + " and " + DRIVER + " are needed (apt-get install chromium chromium-driver;"
                    + " scripts/setup-machine.sh does it)");
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,1400",
                "--disable-extensions", "--no-first-run", "--disable-background-networking", "--disable-component-update");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(DRIVER)).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
    }

    /** Errors the page logged since the last call: script errors, failed requests, CSP violations. */
    public List<String> errors() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream().filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(LogEntry::getMessage).toList();
    }

    /**
     * Clicks what submits a form or follows a link, and returns once the browser has left the page and the
     * next one is loaded. A click returns before the navigation it starts: an element looked up right after it
     * can belong to the page being left and go stale under the test (as the hub's login form did in CI).
     */
    public void clickAndAwaitNextPage(WebElement element, int seconds) throws Exception {
        WebElement old = driver.findElement(By.tagName("html"));
        element.click();
        Await.until("the next page after the click", seconds, () -> {
            try {
                old.isEnabled();
                return false;
            } catch (StaleElementReferenceException gone) {
                return "complete".equals(driver.executeScript("return document.readyState"));
            }
        });
    }

    public Object js(String script, Object... args) {
        return driver.executeScript(script, args);
    }

    /** A screenshot under target/screenshots, and a copy at half size for the README. */
    public void screenshot(String name) throws IOException {
        byte[] png = driver.getScreenshotAs(OutputType.BYTES);
        Path dir = Files.createDirectories(Path.of("target", "screenshots"));
        Files.write(dir.resolve(name + ".png"), png);
        BufferedImage full = ImageIO.read(new ByteArrayInputStream(png));
        int w = full.getWidth() / 2;
        int h = full.getHeight() / 2;
        BufferedImage small = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        small.getGraphics().drawImage(full.getScaledInstance(w, h, Image.SCALE_SMOOTH), 0, 0, null);
        ImageIO.write(small, "png", dir.resolve(name + "-small.png").toFile());
    }

    @Override
    public void close() {
        driver.quit();
    }
}
