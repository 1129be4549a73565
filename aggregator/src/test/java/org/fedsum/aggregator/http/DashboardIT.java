package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.codec.EncodingParametersCodec;
import org.fedsum.protocol.encoding.EncodingParameters;
import org.fedsum.protocol.privacy.PrivacyAccountant;
import org.fedsum.protocol.privacy.RoundPrivacy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real headless Chromium that reaches the aggregator over mutual TLS with an
 * operator certificate ({@link HeadlessChromium}): four silos play a run of two rounds with
 * silo-level DP; in the first, silo-4 goes silent before SHARE_KEYS. The page must show the round,
 * its survivors, the dropout at its stage and the privacy spent, then update by itself when the
 * second round finishes.
 */
class DashboardIT {
  private static final List<String> ROSTER = List.of("silo-1", "silo-2", "silo-3", "silo-4");
  private static final Duration PAGE_WAIT = Duration.ofSeconds(30);
  private static final Pattern EPSILON = Pattern.compile("ε = ([0-9.]+)");

  @TempDir Path directory;

  private FederationRun federation;

  @AfterEach
  void stop() throws Exception {
    if (federation != null) {
      federation.close();
    }
  }

  @Test
  void dashboard_showsRoundsDropoutsAndPrivacy_andUpdatesLive() throws Exception {
    federation = new FederationRun(Files.createDirectory(directory.resolve("federation")), ROSTER);
    federation.create("watched", 2, 500, "3s", "clipNorm: 1", "noiseMultiplier: 1");
    Path home = Files.createDirectory(directory.resolve("home"));
    try (HeadlessChromium browser =
        HeadlessChromium.start(
            home, federation.fixture, federation.operatorParty, federation.port())) {
      WebDriver driver = browser.driver();
      WebDriverWait wait = new WebDriverWait(driver, PAGE_WAIT);
      driver.get("https://127.0.0.1:" + federation.port() + "/dashboard");

      // The page loaded with the operator's certificate and its script reads the API. The run
      // starts only now: a browser's first start can be slow, and round 1 must not time out.
      until(driver, wait, ExpectedConditions.textToBe(By.id("run-id"), "watched"));
      assertThat(text(driver, By.id("run-phase"))).isEqualTo("IDLE");
      assertThat(driver.findElements(By.cssSelector("#rounds-body tr"))).isEmpty();
      assertThat(text(driver, By.id("privacy-spent")))
          .isEqualTo("ε = 0.00 at δ = 1e-5, silo-level");
      federation.start("watched");
      until(
          driver,
          wait,
          ExpectedConditions.presenceOfElementLocated(
              By.cssSelector("tr[data-round='1'][data-outcome='running']")));

      federation.playRound(Map.of("silo-4", Stage.SHARE_KEYS));
      WebElement first =
          until(
              driver,
              wait,
              ExpectedConditions.presenceOfElementLocated(
                  By.cssSelector("tr[data-round='1'][data-outcome='finished']")));
      assertThat(first.findElement(By.cssSelector("td.outcome")).getText()).isEqualTo("finished");
      assertThat(first.findElement(By.cssSelector("td.survivors .count")).getText()).isEqualTo("3");
      assertThat(first.findElement(By.cssSelector("td.survivors .names")).getText())
          .isEqualTo("silo-1, silo-2, silo-3");
      WebElement advertise = stageCell(first, Stage.ADVERTISE_KEYS);
      assertThat(advertise.findElement(By.cssSelector(".participants")).getText()).isEqualTo("4");
      assertThat(advertise.findElements(By.cssSelector(".dropouts"))).isEmpty();
      WebElement shares = stageCell(first, Stage.SHARE_KEYS);
      assertThat(shares.findElement(By.cssSelector(".participants")).getText()).isEqualTo("3");
      assertThat(shares.findElement(By.cssSelector(".dropouts")).getText())
          .isEqualTo("dropped: silo-4");
      assertThat(shares.findElement(By.cssSelector(".timing")).getText())
          .contains("closed by deadline");
      for (Stage later : List.of(Stage.MASKED_INPUT, Stage.CONSISTENCY_CHECK, Stage.UNMASK)) {
        assertThat(stageCell(first, later).findElements(By.cssSelector(".dropouts")))
            .as("no dropout at %s", later)
            .isEmpty();
      }
      EncodingParameters encoding = encodingOf(federation.operatorJson("/v1/runs/watched"));
      double afterFirst = expectedEpsilon(encoding, 3);
      assertEpsilon(first.findElement(By.cssSelector("td.epsilon")).getText(), afterFirst);
      until(
          driver,
          wait,
          ExpectedConditions.textMatches(By.id("privacy-spent"), Pattern.compile("ε = [1-9].*")));
      assertEpsilon(text(driver, By.id("privacy-spent")), afterFirst);
      assertThat(text(driver, By.id("privacy-spent"))).endsWith("at δ = 1e-5, silo-level");
      assertThat(text(driver, By.id("privacy-detail")))
          .contains("Silo-level DP")
          .contains("one silo's whole update in one round")
          .contains("after 1 finished round ");

      // No reload from here on: the marker survives only if the page updates itself.
      ((org.openqa.selenium.JavascriptExecutor) driver)
          .executeScript("window.fedsumTestMarker = 'same page';");
      federation.playRound(Map.of());
      WebElement second =
          until(
              driver,
              wait,
              ExpectedConditions.presenceOfElementLocated(
                  By.cssSelector("tr[data-round='2'][data-outcome='finished']")));
      assertThat(second.findElement(By.cssSelector("td.survivors .count")).getText())
          .isEqualTo("4");
      assertThat(stageCell(second, Stage.SHARE_KEYS).findElements(By.cssSelector(".dropouts")))
          .isEmpty();
      double afterSecond = expectedEpsilon(encoding, 3, 4);
      assertThat(afterSecond).isGreaterThan(afterFirst);
      assertEpsilon(second.findElement(By.cssSelector("td.epsilon")).getText(), afterSecond);
      until(driver, wait, ExpectedConditions.textToBe(By.id("run-phase"), "COMPLETED"));
      assertEpsilon(text(driver, By.id("privacy-spent")), afterSecond);
      assertThat(text(driver, By.id("run-finished"))).isEqualTo("2 of 2");
      assertThat(
              new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("run-select")))
                  .getFirstSelectedOption()
                  .getText())
          .as("the run is over: no longer listed as active")
          .isEqualTo("watched");
      // Newest round first.
      assertThat(
              driver.findElements(By.cssSelector("#rounds-body tr")).stream()
                  .map(row -> row.getAttribute("data-round"))
                  .toList())
          .containsExactly("2", "1");
      assertThat(
              ((org.openqa.selenium.JavascriptExecutor) driver)
                  .executeScript("return window.fedsumTestMarker;"))
          .isEqualTo("same page");
      // For a person to look at: what an operator saw at the end.
      Files.write(
          Path.of("target", "dashboard-it.png"),
          ((org.openqa.selenium.TakesScreenshot) driver)
              .getScreenshotAs(org.openqa.selenium.OutputType.BYTES));
      assertThat(text(driver, By.id("error"))).isEmpty();
      assertThat(consoleMessages(driver, java.util.logging.Level.SEVERE)).isEmpty();
    }
  }

  /** Waits for {@code condition}; on time-out, fails with what the page shows and logged. */
  private static <T> T until(
      WebDriver driver, WebDriverWait wait, java.util.function.Function<WebDriver, T> condition) {
    try {
      return wait.until(condition);
    } catch (org.openqa.selenium.TimeoutException e) {
      throw new AssertionError(
          e.getMessage()
              + "\n--- page text ---\n"
              + driver.findElement(By.tagName("body")).getText()
              + "\n--- console ---\n"
              + String.join("\n", consoleMessages(driver, java.util.logging.Level.ALL)),
          e);
    }
  }

  private static String text(WebDriver driver, By locator) {
    return driver.findElement(locator).getText();
  }

  private static WebElement stageCell(WebElement row, Stage stage) {
    return row.findElement(By.cssSelector("td[data-stage='" + stage.name() + "']"));
  }

  /** The run's encoding, from the plan its view shows (what the silos were given). */
  private static EncodingParameters encodingOf(JsonObject view) throws Exception {
    String encoding =
        view.getJsonObject("config").getJsonObject("plan").getJsonObject("encoding").encode();
    return EncodingParametersCodec.fromJson(new ObjectMapper().readTree(encoding));
  }

  /**
   * ε at δ = 1e-5 of rounds with these survivor counts (DESIGN.md §5): each round's parameters from
   * the encoding, both accountants, the larger ε.
   */
  private static double expectedEpsilon(EncodingParameters encoding, int... survivors) {
    List<RoundPrivacy> rounds = new ArrayList<>();
    for (int i = 0; i < survivors.length; i++) {
      rounds.add(
          new RoundPrivacy(
              i + 1L,
              survivors[i],
              encoding.clipNorm(),
              encoding.noiseMultiplier(),
              encoding.gamma(),
              encoding.threshold(),
              encoding.signalLength()));
    }
    return PrivacyAccountant.create(EncodingParameters.CONDITIONAL_ROUNDING_BETA)
        .spend(rounds, 1e-5)
        .enforcedEpsilon();
  }

  /** The page shows ε with three significant digits. */
  private static void assertEpsilon(String shown, double expected) {
    Matcher matcher = EPSILON.matcher(shown);
    assertThat(matcher.find()).as("an ε in '%s'", shown).isTrue();
    assertThat(Double.parseDouble(matcher.group(1)))
        .as("ε shown in '%s'", shown)
        .isCloseTo(expected, org.assertj.core.data.Percentage.withPercentage(0.6));
  }

  /**
   * What the page logged at {@code level} or above (an error: a CSP violation, a failed request).
   */
  private static List<String> consoleMessages(WebDriver driver, java.util.logging.Level level) {
    return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
        .filter(entry -> entry.getLevel().intValue() >= level.intValue())
        .map(LogEntry::getMessage)
        .toList();
  }
}
