package org.fedsum.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;

/**
 * Debian's headless Chromium through Debian's chromedriver, started as the aggregator's dashboard
 * test starts it (same flags), for opening a report file: no network at all is needed, so every
 * host name resolves to nothing and background networking is off.
 *
 * <p>Needs the Debian packages {@code chromium} and {@code chromium-driver} ({@code .ci/run}
 * installs them).
 */
final class HeadlessChromium implements AutoCloseable {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  private final ChromeDriverService service;
  private final ChromeDriver driver;

  private HeadlessChromium(ChromeDriverService service, ChromeDriver driver) {
    this.service = service;
    this.driver = driver;
  }

  /** Starts a browser whose HOME and profile are in {@code home}. */
  static HeadlessChromium start(Path home) {
    for (Path tool : List.of(CHROMIUM, CHROMEDRIVER)) {
      assertThat(Files.isExecutable(tool))
          .as("%s is missing: install the Debian packages chromium and chromium-driver", tool)
          .isTrue();
    }
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .withEnvironment(Map.of("HOME", home.toString()))
            .withLogFile(home.resolve("chromedriver.log").toFile())
            .build();
    try {
      ChromeOptions options = new ChromeOptions();
      options.setBinary(CHROMIUM.toFile());
      options.addArguments(
          "--headless=new",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-dev-shm-usage",
          "--user-data-dir=" + home.resolve("profile"),
          "--window-size=1280,1000",
          "--no-first-run",
          "--no-default-browser-check",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-domain-reliability",
          "--disable-sync",
          "--no-pings",
          "--host-resolver-rules=MAP * ~NOTFOUND");
      options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL"));
      return new HeadlessChromium(service, new ChromeDriver(service, options));
    } catch (RuntimeException | Error e) {
      service.stop();
      throw e;
    }
  }

  ChromeDriver driver() {
    return driver;
  }

  /** The browser console's messages at {@code level} or above. */
  List<String> console(Level level) {
    return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
        .filter(entry -> entry.getLevel().intValue() >= level.intValue())
        .map(entry -> entry.getLevel() + " " + entry.getMessage())
        .toList();
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      service.stop();
    }
  }
}
