// FedSum aggregator dashboard (docs/API.md, "Dashboard and metrics").
//
// Polls the operator API with the browser's operator certificate: GET /v1/runs for the list of
// runs, then GET /v1/runs/{runId} and GET /v1/runs/{runId}/rounds for the run shown. The run is
// the one named by ?run=<id>, else the one picked in the list, else the active run, else the
// newest. Everything is written as text (textContent), never as HTML.
"use strict";

(function () {
  const POLL_MILLIS = 2000;
  const STAGES = ["ADVERTISE_KEYS", "SHARE_KEYS", "MASKED_INPUT", "CONSISTENCY_CHECK", "UNMASK"];

  const requestedRun = new URLSearchParams(window.location.search).get("run");
  let chosenRun = requestedRun;

  const $ = (id) => document.getElementById(id);

  /** A new element with text and attributes; children are elements or strings. */
  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      node.setAttribute(name, value);
    }
    for (const child of children) {
      node.append(child);
    }
    return node;
  }

  function setText(id, text) {
    $(id).textContent = text;
  }

  async function getJson(path) {
    const response = await fetch(path, { cache: "no-store", headers: { Accept: "application/json" } });
    let body = null;
    try {
      body = await response.json();
    } catch (e) {
      body = null;
    }
    if (!response.ok) {
      const error = body && body.error;
      throw new Error(
        "GET " + path + ": " + response.status +
          (error ? " " + error.code + ": " + error.message : ""));
    }
    return body;
  }

  function formatEpsilon(value) {
    if (value === null || value === undefined) {
      return "unbounded";
    }
    if (value >= 100) {
      return value.toFixed(1);
    }
    return value.toPrecision(3);
  }

  function formatDuration(millis) {
    if (millis === null || millis === undefined) {
      return "";
    }
    return millis < 1000 ? millis + " ms" : (millis / 1000).toFixed(2) + " s";
  }

  function formatDelta(delta) {
    return Number(delta).toExponential();
  }

  function pickRun(runs) {
    if (chosenRun && runs.some((run) => run.runId === chosenRun)) {
      return chosenRun;
    }
    const active = runs.find((run) => run.active);
    if (active) {
      return active.runId;
    }
    return runs.length ? runs[runs.length - 1].runId : null;
  }

  function renderRunList(runs, selected) {
    const select = $("run-select");
    const label = (run) => run.runId + (run.active ? " (active)" : "");
    const wanted = runs.map(label);
    const shown = Array.from(select.options).map((option) => option.textContent);
    // Rebuilt only when a run appears or ends, so an open list is not disturbed by every poll.
    if (wanted.join("\n") !== shown.join("\n")) {
      select.replaceChildren(
        ...runs.map((run) => element("option", { value: run.runId }, label(run))));
    }
    select.value = selected;
  }

  function renderRun(view) {
    setText("run-id", view.runId);
    setText("run-phase", view.phase + (view.pauseRequested ? " (pause requested)" : ""));
    const round = view.currentRound < 0 ? "none yet" : String(view.currentRound);
    setText("run-round", round + (view.stage ? ", stage " + view.stage : ""));
    setText("run-finished", view.roundsFinished + " of " + view.rounds);
    setText(
      "run-aborted",
      view.roundsAborted + (view.consecutiveAborts ? " (" + view.consecutiveAborts + " in a row)" : ""));
    setText("run-roster", view.config.roster.join(", "));
    setText(
      "run-threshold",
      "t = " + view.config.threshold + " of " + view.config.roster.length +
        ", at least " + view.config.minSurvivors + " survivors, " + view.config.securityModel);
    setText("run-model", view.modelSha256 || "initial model");
    const failure = $("run-failure");
    failure.hidden = !view.failure;
    failure.textContent = view.failure ? "Run failed: " + view.failure : "";
  }

  function recordLevelText(recordLevel) {
    return "Record-level DP (unit: " + recordLevel.unitDescription + "): DP-SGD at each silo with " +
      "noise multiplier z = " + recordLevel.noiseMultiplier + ", clip norm C = " + recordLevel.clipNorm +
      ", expected batch " + recordLevel.expectedBatchSize + "; each silo accounts its own record-level ε " +
      "at δ = " + formatDelta(recordLevel.delta) + " (its sample rate depends on its record count, which " +
      "the aggregator never learns): see the silos' journals or the audit report.";
  }

  function renderPrivacy(privacy) {
    if (!privacy.differentialPrivacy && privacy.recordLevel) {
      setText("privacy-spent", "record-level DP (ε in each silo's ledger)");
      setText(
        "privacy-detail",
        "No silo-level noise on the published sums. " + recordLevelText(privacy.recordLevel));
      return;
    }
    if (!privacy.differentialPrivacy) {
      setText("privacy-spent", "no DP");
      setText(
        "privacy-detail",
        "The noise multiplier is 0: the published sums carry no noise, so no finite ε applies. " +
          "Secure aggregation still hides each silo's update from the aggregator.");
      return;
    }
    const spent = privacy.spent;
    // Every ε shown names its unit (DESIGN.md §5).
    setText(
      "privacy-spent",
      "ε = " + formatEpsilon(spent.epsilon) + " at δ = " + formatDelta(spent.delta) + ", silo-level");
    setText(
      "privacy-detail",
      "Silo-level DP (unit: " + privacy.unitDescription + "), after " + privacy.roundsAccounted +
        " finished round" + (privacy.roundsAccounted === 1 ? "" : "s") + " counted with their real survivors. " +
        "Discrete Gaussian bound (Rényi, Kairouz et al. 2021): ε = " + formatEpsilon(spent.epsilonRdp) +
        "; continuous Gaussian reference: ε = " + formatEpsilon(spent.epsilonGdp) +
        ". Noise multiplier z = " + privacy.noiseMultiplier + ", clip norm C = " + privacy.clipNorm + "." +
        (privacy.recordLevel ? " " + recordLevelText(privacy.recordLevel) : ""));
  }

  function outcomeText(round) {
    if (round.outcome === "aborted" && round.abort) {
      return "aborted: " + round.abort.reason + " in " + round.abort.stage;
    }
    if (round.outcome === "running") {
      const open = round.stages.find((stage) => stage.status === "open");
      return open ? "running: " + open.stage : "running: aggregating";
    }
    return round.outcome;
  }

  function stageCell(round, name) {
    const stage = round.stages.find((candidate) => candidate.stage === name);
    const cell = element("td", { class: "stage", "data-stage": name });
    if (!stage) {
      cell.append(element("span", { class: "muted" }, "—"));
      return cell;
    }
    cell.classList.add("stage-" + stage.status);
    cell.setAttribute("data-status", stage.status);
    cell.append(
      element("span", { class: "count participants" }, String(stage.participants.length)),
      stage.status === "open" ? " answered so far" : " accepted");
    cell.append(element("span", { class: "names" }, stage.participants.join(", ")));
    const timing = [];
    if (stage.durationMillis !== null) {
      timing.push(formatDuration(stage.durationMillis));
    }
    if (stage.closedBy) {
      timing.push(stage.closedBy === "deadline" ? "closed by deadline" : "all answered");
    }
    if (stage.status === "aborted") {
      timing.push("aborted here");
    }
    if (timing.length) {
      cell.append(element("span", { class: "timing" }, timing.join(" · ")));
    }
    if (stage.dropouts.length) {
      cell.append(element("span", { class: "dropouts" }, "dropped: " + stage.dropouts.join(", ")));
    }
    return cell;
  }

  function aggregateCell(round) {
    const cell = element("td", { class: "aggregate" });
    const aggregate = round.aggregate;
    if (!aggregate) {
      cell.append(element("span", { class: "muted" }, "—"));
      return cell;
    }
    cell.append(
      element("span", { class: "names" }, "total weight " + aggregate.totalWeight),
      element("span", { class: "names" }, "noise σ " + Number(aggregate.noiseStandardDeviation).toPrecision(3)),
      element("span", { class: "names" }, "outer band " + aggregate.outerBandCount),
      element("span", { class: "names" }, aggregate.strategy + ", " + formatDuration(aggregate.aggregationMillis)),
      element("span", { class: "names hash", title: aggregate.modelSha256 }, aggregate.modelSha256.slice(0, 12) + "…"));
    return cell;
  }

  function epsilonCell(round, privacy) {
    const cell = element("td", { class: "epsilon" });
    if (!privacy.differentialPrivacy) {
      cell.textContent = "no DP";
    } else if (round.privacySpent) {
      cell.textContent = "ε = " + formatEpsilon(round.privacySpent.epsilon);
    } else {
      cell.textContent = "—";
    }
    return cell;
  }

  function metricsCell(round) {
    const cell = element("td", { class: "silo-metrics" });
    const shared = round.siloMetrics;
    if (!shared) {
      cell.append(element("span", { class: "muted" }, "—"));
      return cell;
    }
    for (const [name, value] of Object.entries(shared.mean)) {
      cell.append(element("span", { class: "names", "data-metric": name }, name + " " + Number(value).toPrecision(4)));
    }
    cell.append(element("span", { class: "names" }, shared.silos.length + " silos, " + shared.examples + " examples"));
    return cell;
  }

  function renderRounds(history) {
    const rows = history.rounds
      .slice()
      .reverse()
      .map((round) => {
        const survivors = element("td", { class: "survivors" });
        if (round.outcome === "finished") {
          survivors.append(
            element("span", { class: "count" }, String(round.survivors.length)),
            element("span", { class: "names" }, round.survivors.join(", ")));
        } else {
          survivors.append(element("span", { class: "muted" }, "—"));
        }
        const outcome = element("td", { class: "outcome" }, outcomeText(round));
        if (round.abort && round.abort.detail) {
          outcome.title = round.abort.detail;
        }
        return element(
          "tr",
          {
            id: "round-" + round.round,
            class: "outcome-" + round.outcome,
            "data-round": String(round.round),
            "data-outcome": round.outcome,
          },
          element("td", { class: "round" }, String(round.round)),
          outcome,
          survivors,
          ...STAGES.map((stage) => stageCell(round, stage)),
          aggregateCell(round),
          epsilonCell(round, history.privacy),
          metricsCell(round));
      });
    $("rounds-body").replaceChildren(...rows);
  }

  function showError(message) {
    const error = $("error");
    error.hidden = !message;
    error.textContent = message || "";
  }

  async function refresh() {
    const listing = await getJson("/v1/runs");
    const runs = listing.runs;
    const runId = pickRun(runs);
    $("no-run").hidden = runId !== null;
    $("content").hidden = runId === null;
    if (runId === null) {
      return;
    }
    renderRunList(runs, runId);
    const path = "/v1/runs/" + encodeURIComponent(runId);
    const [view, history] = await Promise.all([getJson(path), getJson(path + "/rounds")]);
    renderRun(view);
    renderPrivacy(history.privacy);
    renderRounds(history);
  }

  let timer = null;

  async function poll() {
    window.clearTimeout(timer);
    try {
      await refresh();
      showError(null);
      setText("updated", "updated " + new Date().toLocaleTimeString());
    } catch (e) {
      showError(e.message);
    }
    // One pending poll at a time, even when a change of run polls at once.
    window.clearTimeout(timer);
    timer = window.setTimeout(poll, POLL_MILLIS);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("run-select").addEventListener("change", (event) => {
      chosenRun = event.target.value;
      const url = new URL(window.location.href);
      url.searchParams.set("run", chosenRun);
      window.history.replaceState(null, "", url);
      poll();
    });
    poll();
  });
})();
