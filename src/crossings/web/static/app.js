// Crossings web app: plain JavaScript, no external assets (plotly is served locally).
"use strict";

function pageData() {
  const el = document.getElementById("page-data");
  return el ? JSON.parse(el.textContent) : null;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

async function getJSON(url, options) {
  const resp = await fetch(url, options);
  let body = null;
  try { body = await resp.json(); } catch (e) { body = null; }
  if (!resp.ok) {
    const msg = body && body.detail ? body.detail : resp.status + " " + resp.statusText;
    const err = new Error(typeof msg === "string" ? msg : JSON.stringify(msg));
    err.body = body;
    throw err;
  }
  return body;
}

function fmt(x) {
  if (x === null || x === undefined) return "–";
  return Math.abs(x) < 1 && x !== 0 ? x.toFixed(3) : Math.round(x).toLocaleString();
}

const PLOT_CONFIG = { responsive: true, displaylogo: false };

// an x axis of whole years: integer ticks, no thousands separator ("2003", not "2,002.5")
function yearAxis(years) {
  return { title: { text: "year" }, tickformat: "d", dtick: years.length > 30 ? 5 : 1 };
}

// ------------------------------------------------------------ scenario page
function initScenario() {
  const form = document.getElementById("scenario-form");
  const scenario = form.dataset.scenario;
  const fields = Array.from(document.querySelectorAll("input.ov"));
  const runButton = document.getElementById("run-button");
  const saveButton = document.getElementById("save-variant-button");
  const nameField = document.getElementById("variant-name");
  const NAME_RE = /^[a-z][a-z0-9_-]{0,39}$/;
  let timer = null;
  let lastValid = true;

  function updateSaveButton() {
    if (saveButton) saveButton.disabled = !lastValid || !NAME_RE.test(nameField.value);
  }

  // sliders mirror their number input
  document.querySelectorAll("input.slider").forEach((slider) => {
    const num = slider.previousElementSibling;
    slider.addEventListener("input", () => { num.value = slider.value; num.dispatchEvent(new Event("input")); });
    num.addEventListener("input", () => { slider.value = num.value; });
  });

  function overrides() {
    const out = {};
    fields.forEach((f) => {
      const changed = f.value !== f.dataset.initial;
      f.classList.toggle("changed", changed);
      if (!changed) return;
      if (f.type === "date" && f.value === "") out[f.dataset.path] = "null";
      else if (f.type === "number" && f.value !== "" && !isNaN(Number(f.value))) out[f.dataset.path] = Number(f.value);
      else out[f.dataset.path] = f.value;
    });
    return out;
  }

  function request() {
    const variant = document.getElementById("variant").value || null;
    return { scenario: scenario, overrides: overrides(), variant: variant };
  }

  function showIssues(issues) {
    fields.forEach((f) => {
      f.classList.remove("invalid");
      const span = f.parentElement.querySelector(".field-issues");
      if (span) span.textContent = "";
    });
    const general = [];
    issues.filter((i) => i.severity === "error").forEach((issue) => {
      const field = fields.find((f) => issue.path === f.dataset.ipath) ||
        fields.find((f) => issue.file && issue.file.startsWith("--set " + f.dataset.path + "=")) ||
        fields.find((f) => issue.path && f.classList.contains("changed") &&
          f.dataset.ipath.startsWith(issue.path));
      const text = issue.message + (issue.expected ? " (expected " + issue.expected + ")" : "") +
        (issue.hint ? " — " + issue.hint : "");
      const span = field ? field.parentElement.querySelector(".field-issues") : null;
      if (span) { field.classList.add("invalid"); span.textContent = text; }
      else general.push((issue.path ? issue.path + ": " : "") + text);
    });
    const box = document.getElementById("issues");
    box.textContent = "";
    if (general.length) {
      const ul = el("ul");
      general.forEach((t) => ul.appendChild(el("li", t)));
      box.appendChild(el("strong", "Problems:"));
      box.appendChild(ul);
    }
  }

  async function validate() {
    const req = request();
    const n = Object.keys(req.overrides).length;
    document.getElementById("changed").textContent = n
      ? n + " change(s): " + Object.entries(req.overrides).map(([k, v]) => k + "=" + v).join(", ")
      : "No changes: the scenario as written.";
    try {
      const res = await getJSON("/api/validate", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(req) });
      lastValid = res.valid;
      showIssues(res.issues);
    } catch (e) {
      lastValid = false;
      showIssues([{ severity: "error", message: e.message, path: "" }]);
    }
    runButton.disabled = !lastValid;
    updateSaveButton();
  }

  function schedule() { clearTimeout(timer); timer = setTimeout(validate, 300); }
  fields.forEach((f) => { f.addEventListener("input", schedule); f.addEventListener("change", schedule); });
  document.getElementById("variant").addEventListener("change", schedule);

  async function startRun(req) {
    const msg = document.getElementById("run-message");
    req.runs = Number(document.getElementById("runs").value || 1);
    const seed = document.getElementById("seed").value;
    req.seed = seed === "" ? null : Number(seed);
    const cal = document.getElementById("calibration");
    if (cal && cal.value) req.calibration = cal.value;
    const exp = document.getElementById("expected");
    if (exp && exp.checked && req.calibration) req.expected = true;
    runButton.disabled = true;
    msg.textContent = "starting…";
    try {
      const res = await getJSON("/api/runs", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(req) });
      window.location.href = "/runs/" + res.run_id;
    } catch (e) {
      msg.textContent = e.message;
      if (e.body && e.body.issues) showIssues(e.body.issues);
      runButton.disabled = !lastValid;
    }
  }

  runButton.addEventListener("click", () => startRun(request()));

  // expected values of posterior draws: only with a calibration; many more draws allowed
  const expBox = document.getElementById("expected");
  const calBox = document.getElementById("calibration");
  function updateEngine() {
    if (!expBox) return;
    expBox.disabled = !(calBox && calBox.value);
    if (expBox.disabled) expBox.checked = false;
    const runsIn = document.getElementById("runs");
    const label = document.getElementById("runs-label");
    if (expBox.checked) {
      runsIn.max = "100";
      if (Number(runsIn.value) === 10) runsIn.value = "100";
      label.textContent = "Posterior draws (1–100)";
    } else {
      runsIn.max = "20";
      if (Number(runsIn.value) > 20) runsIn.value = "20";
      label.textContent = "Runs (seeds, 1–20; one run gives no band)";
    }
  }
  if (expBox) {
    expBox.addEventListener("change", updateEngine);
    if (calBox) calBox.addEventListener("change", updateEngine);
    updateEngine();
  }

  // saved variants: save the form's overrides under a name; load or run them later
  function loadOverrides(saved) {
    fields.forEach((f) => {
      let v = Object.prototype.hasOwnProperty.call(saved, f.dataset.path) ? saved[f.dataset.path] : null;
      if (v === null) v = f.dataset.initial;
      else if (f.type === "date" && v === "null") v = "";
      f.value = String(v);
      const slider = f.nextElementSibling;
      if (slider && slider.classList.contains("slider")) slider.value = f.value;
    });
    const unknown = Object.keys(saved).filter((k) => !fields.some((f) => f.dataset.path === k));
    validate();
    return unknown;
  }

  async function refreshSaved() {
    const list = document.getElementById("saved-variants");
    const empty = document.getElementById("saved-empty");
    if (!list) return;
    let saved;
    try { saved = await getJSON("/api/variants?scenario=" + encodeURIComponent(scenario)); }
    catch (e) { empty.textContent = e.message; return; }
    list.textContent = "";
    empty.hidden = saved.length > 0;
    saved.forEach((v) => {
      const li = el("li", null, "saved-variant");
      li.dataset.name = v.name;
      li.appendChild(el("strong", v.name));
      if (v.description) li.appendChild(el("span", " — " + v.description));
      const n = Object.keys(v.overrides).length;
      li.appendChild(el("span", " (" + n + " change" + (n === 1 ? "" : "s") + ") ", "hint"));
      const load = el("button", "load");
      load.type = "button";
      load.addEventListener("click", () => {
        const unknown = loadOverrides(v.overrides);
        document.getElementById("save-message").textContent = "loaded " + v.name +
          (unknown.length ? "; not shown in the form: " + unknown.join(", ") : "");
        nameField.value = v.name;
        document.getElementById("variant-description").value = v.description || "";
      });
      const run = el("button", "run");
      run.type = "button";
      run.addEventListener("click", () => {
        const variant = document.getElementById("variant").value || null;
        startRun({ scenario: scenario, overrides: {}, variant: variant, saved_variant: v.name });
      });
      li.appendChild(load);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(run);
      list.appendChild(li);
    });
  }

  if (saveButton) {
    nameField.addEventListener("input", updateSaveButton);
    saveButton.addEventListener("click", async () => {
      const msg = document.getElementById("save-message");
      const body = {
        scenario: scenario, name: nameField.value, overrides: overrides(),
        description: document.getElementById("variant-description").value || null,
        replace: document.getElementById("variant-replace").checked,
      };
      saveButton.disabled = true;
      msg.textContent = "saving…";
      try {
        await getJSON("/api/variants", {
          method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
        msg.textContent = "saved " + body.name;
        await refreshSaved();
      } catch (e) {
        msg.textContent = e.message;
        if (e.body && e.body.issues) showIssues(e.body.issues);
      }
      updateSaveButton();
    });
    refreshSaved();
  }

  // the policy timeline, drawn from the figure the report draws (names never cut off)
  const page = pageData() || {};
  if (page.timeline && window.Plotly) {
    Plotly.newPlot("timeline-chart", page.timeline.data, page.timeline.layout, PLOT_CONFIG);
  }
}

// ------------------------------------------------------------ polling runs
function pollRun(runId, onUpdate) {
  async function tick() {
    let s;
    try { s = await getJSON("/api/runs/" + runId); } catch (e) { return; }
    onUpdate(s);
    if (s.state === "queued" || s.state === "running") setTimeout(tick, 1000);
  }
  tick();
}

function initRuns() {
  document.querySelectorAll("tr.run-row").forEach((row) => {
    const state = row.dataset.state;
    if (state !== "queued" && state !== "running") return;
    pollRun(row.dataset.run, (s) => {
      row.querySelector("progress").value = s.progress;
      row.querySelector(".state").textContent = s.state + (s.error ? ": " + s.error : "");
    });
  });
}

// ------------------------------------------------------------ run page
// figures are the report's own (GET /api/runs/{id}/figures/{name}: plotly JSON)
async function drawFigure(divId, runId, name) {
  const fig = await getJSON("/api/runs/" + runId + "/figures/" + name);
  const div = document.getElementById(divId);
  if (!fig) { div.textContent = "Nothing to draw for this run."; div.classList.add("hint"); return null; }
  Plotly.newPlot(divId, fig.data, fig.layout, PLOT_CONFIG);
  return fig;
}

function tableOf(headers, rows, numeric) {
  const table = el("table");
  const head = el("tr");
  headers.forEach((h, i) => head.appendChild(el("th", h, numeric[i] ? "num" : null)));
  const thead = el("thead"); thead.appendChild(head); table.appendChild(thead);
  const body = el("tbody");
  rows.forEach((r) => {
    const tr = el("tr");
    r.forEach((c, i) => tr.appendChild(c instanceof Node ? wrapCell(c) : el("td", c, numeric[i] ? "num" : null)));
    body.appendChild(tr);
  });
  table.appendChild(body);
  return table;
}

function wrapCell(node) { const td = el("td"); td.appendChild(node); return td; }

async function drawSummary(runId) {
  const s = await getJSON("/api/runs/" + runId + "/summary");
  const box = document.getElementById("answer");
  let what = "What was run: " + s.how + " of the scenario " + s.scenario + ", " + s.start + " to " + s.end + ".";
  if (s.variant) what += " What-if variant " + s.variant + (s.variant_description ? " — " + s.variant_description : "") + ".";
  if (s.overrides.length) what += " Changed values: " + s.overrides.join("; ") + ".";
  document.getElementById("run-what").textContent = what;
  document.getElementById("run-note").textContent = s.note || (s.declared_populations ? "" :
    "This scenario declares no populations: the figures count everyone in the model, including people already there at the start.");
  const cards = document.getElementById("headline");
  cards.textContent = "";
  const card = (p) => {
    const div = el("div");
    div.appendChild(el("h3", p.title + (p.headline ? ": headline figures" : "")));
    if (p.description && !p.headline) div.appendChild(el("p", p.description, "hint"));
    div.appendChild(tableOf(["model estimate, people", s.banded ? "median (5–95%)" : "value"],
      p.figures.map((f) => [f.label, f.text]), [false, true]));
    return div;
  };
  s.populations.filter((p) => p.headline).forEach((p) => cards.appendChild(card(p)));
  if (s.checks.length) {
    const div = el("div");
    div.appendChild(el("h3", "Compared with what is counted"));
    const inside = s.checks.reduce((n, c) => n + c.inside, 0);
    const rows = s.checks.reduce((n, c) => n + c.rows, 0);
    div.appendChild(el("p", inside + " of " + rows + " counted or reported numbers lie inside the simulation's 5–95% band, widened by the scatter the observation model allows.", "hint"));
    div.appendChild(tableOf(["counted or reported", "inside", "furthest outside"],
      s.checks.map((c) => [c.title, c.inside + " of " + c.rows,
        el("span", c.worst || "none", c.worst ? "off" : "ok")]), [false, true, false]));
    cards.appendChild(div);
  }
  s.populations.filter((p) => !p.headline).forEach((p) => cards.appendChild(card(p)));
  if (s.calibration) cards.appendChild(calibrationCard(s));
  box.hidden = false;
  return s;
}

// what the calibration the runs drew from says: estimates with what the data can tell
// of each, the reported figures it held back as checks, how many of its numbers the data set
function calibrationCard(s) {
  const c = s.calibration;
  const div = el("div", null, "calibration");
  div.appendChild(el("h3", "Calibration " + c.name));
  const exact = (c.method === "importance" || c.method === "hmc") && !c.importance_failed;
  const how = exact
    ? "the exact posterior (" + (c.method === "hmc" ? "HMC on a surrogate, importance-corrected" : "importance sampling") + (c.ess ? ", effective sample size " + Math.round(c.ess).toLocaleString("en") : "") + ")"
    : "a Laplace (normal) approximation at the mode" + (c.importance_failed ? " — the exact posterior could not be sampled: " + c.importance_failed : "");
  div.appendChild(el("p", "Parameters drawn from " + how + (c.converged ? "." : "; the mode search did not converge."), "hint"));
  if (s.estimates.length) {
    div.appendChild(el("h4", "Model estimates of what nobody counts (not observations)"));
    const sexes = { total: "total", female: "women", male: "men" };
    div.appendChild(tableOf(["estimate", "year", "sex", "median (5–95%)", "what the data say"],
      s.estimates.map((e) => [e.title, e.year, sexes[e.sex] || e.sex, e.text,
        el("span", e.label || "–", e.label.startsWith("prior-driven") ? "off" : null)]),
      [false, false, false, true, false]));
  }
  if (s.held_back.length) {
    div.appendChild(el("h4", "Reported figures held back as checks"));
    div.appendChild(tableOf(["series", "year or date", "observed", "predicted median (90%)", "verdict"],
      s.held_back.map((h) => [h.title, h.year, h.observed, h.predicted,
        el("span", h.verdict, h.verdict.startsWith("consistent") ? "ok" : "off")]),
      [false, false, true, true, false]));
  }
  if (s.identifiability.length) {
    const total = s.identifiability.reduce((n, x) => n + x.count, 0);
    div.appendChild(el("p", "What the data can tell of the calibration's " + total + " numbers: " +
      s.identifiability.map((x) => x.count + " " + x.label).join("; ") + ".", "hint"));
  }
  return div;
}

// the state picker: checkboxes grouped by population and kind, with the states' names
function statePicker(runId, res) {
  const box = document.getElementById("stock-states");
  box.textContent = "";
  const shown = new Set(res.series.map((s) => s.state));
  let pop = null;
  let grid = null;
  res.groups.forEach((g) => {
    if (g.population !== pop) {
      pop = g.population;
      box.appendChild(el("h3", g.population_title, "group-title"));
      grid = el("div", null, "state-grid");
      box.appendChild(grid);
    }
    const fs = el("fieldset");
    fs.appendChild(el("legend", g.title));
    grid.appendChild(fs);
    g.states.forEach((st) => {
      const label = el("label");
      const cb = el("input");
      cb.type = "checkbox"; cb.value = st.id; cb.checked = shown.has(st.id);
      cb.setAttribute("aria-label", st.name);
      cb.addEventListener("change", () => {
        const chosen = Array.from(box.querySelectorAll("input:checked")).map((c) => c.value);
        if (chosen.length) drawStocks(runId, chosen);
      });
      label.appendChild(cb); label.appendChild(el("span", st.name));
      fs.appendChild(label);
    });
  });
}

async function drawStocks(runId, states) {
  const q = states.map((s) => "state=" + encodeURIComponent(s)).join("&");
  const res = await getJSON("/api/runs/" + runId + "/stocks" + (q ? "?" + q : ""));
  const traces = res.series.map((s) => ({
    x: s.dates, y: s.median, mode: "lines", name: s.name || s.state,
    hovertemplate: (s.name || s.state) + "<br>%{x|%b %Y}: %{y:,.0f}<extra></extra>",
  }));
  Plotly.newPlot("stocks-chart", traces, {
    margin: { l: 70, r: 20, t: 20, b: 50 },
    xaxis: { title: { text: "date (end of month)" }, type: "date" },
    yaxis: { title: { text: "people (median over runs)" }, rangemode: "tozero" },
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
  }, PLOT_CONFIG);
  return res;
}

async function drawObservations(runId) {
  const rows = await getJSON("/api/runs/" + runId + "/observations");
  const body = document.querySelector("#observations tbody");
  body.textContent = "";
  const sexes = { total: "total", female: "women", male: "men" };
  rows.forEach((r) => {
    const tr = el("tr");
    [r.title || r.series, r.year, sexes[r.sex] || r.sex].forEach((t) => tr.appendChild(el("td", t)));
    [r.observed_text || fmt(r.observed), r.simulated_text || fmt(r.simulated)]
      .forEach((t) => tr.appendChild(el("td", t, "num")));
    const v = r.verdict || "";
    tr.appendChild(el("td", v, v.startsWith("outside") ? "off" : (v ? "ok" : null)));
    tr.appendChild(el("td", (r.sources || "").split(";").join(", ")));
    body.appendChild(tr);
  });
}

async function showResults(runId) {
  await drawSummary(runId);
  await drawFigure("arrivals-chart", runId, "arrivals");
  const sankey = await drawFigure("sankey-chart", runId, "sankey");
  if (sankey && sankey.layout.title) document.getElementById("sankey-title").textContent = sankey.layout.title.text;
  const first = await drawStocks(runId, []);
  statePicker(runId, first);
  await drawObservations(runId);
}

function initRun() {
  const status = pageData();
  const runId = status.run_id;
  const cancel = document.getElementById("cancel-button");
  const pending = (s) => s.state === "queued" || s.state === "running";
  const update = (s) => {
    document.getElementById("run-progress").value = s.progress;
    document.querySelector("#run-state .state").textContent =
      s.state + (s.cancel_requested && pending(s) ? " (stopping…)" : "");
    document.getElementById("run-error").textContent = s.error || "";
    cancel.hidden = !pending(s) || s.cancel_requested;
    if (s.state === "done") showResults(runId).catch((e) => {
      document.getElementById("run-error").textContent = e.message; });
  };
  cancel.addEventListener("click", async () => {
    cancel.disabled = true;
    try {
      update(await getJSON("/api/runs/" + runId + "/cancel", { method: "POST" }));
    } catch (e) {
      document.getElementById("run-error").textContent = e.message;
      cancel.disabled = false;
    }
  });
  if (status.state === "done") update(status); else pollRun(runId, update);
}

// ------------------------------------------------------------ compare page
async function initCompare() {
  const d = pageData();
  if (!d.a || !d.b) return;
  const msg = document.getElementById("compare-message");
  let res;
  try { res = await getJSON("/api/compare?a=" + d.a + "&b=" + d.b); }
  catch (e) { msg.textContent = e.message; return; }
  if (res.differences.length) {
    const pairs = res.differences[0].paired;
    document.getElementById("compare-how").textContent = "Model estimates, run B minus run A. " + (pairs
      ? "Paired by seed: " + pairs + " pair" + (pairs === 1 ? "" : "s") + " of runs that share random numbers; median and 5–95% of the paired differences."
      : "The runs share no seed: the difference of the medians, without a band.");
    const box = document.getElementById("compare-differences");
    const pops = [...new Set(res.differences.map((d) => d.population))];
    pops.forEach((p) => {
      const mine = res.differences.filter((d) => d.population === p);
      if (pops.length > 1) box.appendChild(el("h3", mine[0].population_title));
      const t = tableOf(["model estimate, people", "run A (baseline)", "run B (what-if)", "B − A"],
        mine.map((d) => [d.label, d.base, d.other, d.difference]), [false, true, true, true]);
      t.id = pops.length > 1 ? "compare-differences-" + p : "compare-differences-table";
      box.appendChild(t);
    });
    document.getElementById("compare-answer").hidden = false;
  }
  document.getElementById("compare-chart-title").hidden = false;
  const years = res.rows.map((r) => r.year);
  Plotly.newPlot("compare-chart", [
    { x: years, y: res.rows.map((r) => r.a), mode: "lines+markers", name: "run A " + res.a },
    { x: years, y: res.rows.map((r) => r.b), mode: "lines+markers", name: "run B " + res.b },
  ], {
    margin: { l: 70, r: 20, t: 40, b: 60 }, title: { text: res.label + " — median over runs", font: { size: 13 } },
    xaxis: yearAxis(years), yaxis: { title: { text: "people per year" }, rangemode: "tozero" },
  }, PLOT_CONFIG);
  Plotly.newPlot("difference-chart", [
    { x: years, y: res.rows.map((r) => r.difference), type: "bar", name: "B − A", marker: { color: "#8a5a00" } },
  ], {
    margin: { l: 70, r: 20, t: 10, b: 60 },
    xaxis: yearAxis(years), yaxis: { title: { text: "difference B − A (people per year)" } },
  }, PLOT_CONFIG);
  const body = document.querySelector("#compare-table tbody");
  res.rows.forEach((r) => {
    const tr = el("tr");
    tr.appendChild(el("td", r.year));
    [fmt(r.a), fmt(r.b), fmt(r.difference)].forEach((t) => tr.appendChild(el("td", t, "num")));
    body.appendChild(tr);
  });
}

// ------------------------------------------------------------ journeys page
function initJourneys() {
  const status = pageData();
  const runId = status.run_id;
  const select = document.getElementById("outcome");
  const limit = document.getElementById("limit");
  let filled = false;
  async function load() {
    const params = new URLSearchParams();
    if (select.value) params.set("outcome", select.value);
    params.set("limit", limit.value || "20");
    const list = document.getElementById("journey-list");
    const count = document.getElementById("journey-count");
    let res;
    try { res = await getJSON("/api/runs/" + runId + "/journeys?" + params.toString()); }
    catch (e) { count.textContent = e.message; return; }
    if (!filled) {
      (res.outcome_names || res.outcomes).forEach((o, i) => {
        const opt = el("option", typeof o === "string" ? o : o.name); opt.value = res.outcomes[i]; select.appendChild(opt); });
      filled = true;
    }
    count.textContent = "Showing " + res.journeys.length + " of " + res.total + " simulated histories.";
    list.textContent = "";
    res.journeys.forEach((j) => {
      const li = el("li");
      const sex = { female: "woman", male: "man" }[j.sex] || j.sex;
      li.appendChild(el("div", "simulated person " + j.agent + " · " + sex + " · entered " + j.entry_date + " · at the end: " + (j.final_name || j.final_state), "meta"));
      li.appendChild(el("p", j.text));
      if (j.detected !== null && j.detected !== undefined) {
        li.appendChild(el("p", j.detected.length
          ? "Interrogation detected: " + j.detected.join("; ") + "."
          : "Interrogation detected nothing.", "detected"));
      }
      list.appendChild(li);
    });
  }
  select.addEventListener("change", load);
  limit.addEventListener("change", load);
  if (status.state === "done") load();
  else pollRun(runId, (s) => { if (s.state === "done") load(); });
}

document.addEventListener("DOMContentLoaded", () => {
  // no inline handlers (the Content-Security-Policy allows scripts from /static/ only)
  document.querySelectorAll("form.no-submit").forEach((f) => {
    f.addEventListener("submit", (e) => e.preventDefault());
  });
  document.querySelectorAll("select.submit-on-change").forEach((s) => {
    s.addEventListener("change", () => s.form.submit());
  });
  const page = document.body.dataset.page;
  const init = { scenario: initScenario, runs: initRuns, run: initRun, compare: initCompare, journeys: initJourneys }[page];
  if (init) init();
});
