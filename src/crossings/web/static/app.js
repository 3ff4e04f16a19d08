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

  // policy timeline chart: one bar per policy, from its start to its end
  const policies = pageData() || [];
  const end = form.querySelector('input[data-path="time.end"]').dataset.initial;
  if (policies.length && window.Plotly) {
    const names = policies.map((p) => p.name || p.id);
    const starts = policies.map((p) => p.from);
    const lengths = policies.map((p) => new Date(p.to || end) - new Date(p.from) + 86400000);
    Plotly.newPlot("timeline-chart", [{
      type: "bar", orientation: "h", y: names, base: starts, x: lengths,
      marker: { color: "#1f5fa8" },
      hovertemplate: "%{y}<br>%{base|%d %b %Y} → %{x}<extra></extra>",
    }], {
      margin: { l: 180, r: 20, t: 10, b: 40 },
      xaxis: { type: "date", title: { text: "date" } },
      yaxis: { autorange: "reversed", title: { text: "" } },
    }, PLOT_CONFIG);
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
function bandTraces(x, lo, hi, name, color) {
  return [
    { x: x, y: hi, mode: "lines", line: { width: 0 }, showlegend: false, hoverinfo: "skip" },
    { x: x, y: lo, mode: "lines", line: { width: 0 }, fill: "tonexty",
      fillcolor: color, name: name, hoverinfo: "skip" },
  ];
}

async function drawArrivals(runId) {
  const a = await getJSON("/api/runs/" + runId + "/arrivals");
  const traces = bandTraces(a.years, a.p05, a.p95, "simulated 5–95% band", "rgba(31,95,168,0.2)");
  traces.push({ x: a.years, y: a.median, mode: "lines+markers", name: "simulated (median)",
    line: { color: "#1f5fa8" } });
  const obs = a.observed.filter((o) => /^\d{4}$/.test(o.year) && o.value !== null);
  if (obs.length) {
    traces.push({
      x: obs.map((o) => Number(o.year)), y: obs.map((o) => o.value), mode: "markers",
      name: "observed (" + a.observed_series + ")", marker: { color: "#b3261e", size: 9, symbol: "diamond" },
      error_y: { type: "data", symmetric: false,
        array: obs.map((o) => (o.high ?? o.value) - o.value),
        arrayminus: obs.map((o) => o.value - (o.low ?? o.value)) },
    });
  }
  Plotly.newPlot("arrivals-chart", traces, {
    margin: { l: 70, r: 20, t: 30, b: 50 }, title: { text: a.label, font: { size: 13 } },
    xaxis: yearAxis(a.years), yaxis: { title: { text: "people per year" }, rangemode: "tozero" },
    legend: { orientation: "h", y: -0.2 },
  }, PLOT_CONFIG);
}

async function drawStocks(runId, states) {
  const q = states.map((s) => "state=" + encodeURIComponent(s)).join("&");
  const res = await getJSON("/api/runs/" + runId + "/stocks" + (q ? "?" + q : ""));
  const traces = [];
  res.series.forEach((s) => {
    traces.push({ x: s.dates, y: s.median, mode: "lines", name: s.state + " (" + s.kind + ")" });
  });
  Plotly.newPlot("stocks-chart", traces, {
    margin: { l: 70, r: 20, t: 20, b: 50 },
    xaxis: { title: { text: "date (end of month)" }, type: "date" },
    yaxis: { title: { text: "people (median over runs)" }, rangemode: "tozero" },
    legend: { orientation: "h", y: -0.2 },
  }, PLOT_CONFIG);
  return res;
}

async function drawObservations(runId) {
  const rows = await getJSON("/api/runs/" + runId + "/observations");
  const body = document.querySelector("#observations tbody");
  body.textContent = "";
  rows.forEach((r) => {
    const tr = el("tr");
    const observed = r.observed_low !== null && r.observed_high !== null && r.observed_low !== r.observed_high
      ? fmt(r.observed_low) + "–" + fmt(r.observed_high) : fmt(r.observed);
    [r.series, r.year, r.sex].forEach((t) => tr.appendChild(el("td", t)));
    [observed, fmt(r.simulated), fmt(r.simulated_p05) + "–" + fmt(r.simulated_p95)]
      .forEach((t) => tr.appendChild(el("td", t, "num")));
    tr.appendChild(el("td", r.sources || ""));
    body.appendChild(tr);
  });
}

async function showResults(runId) {
  await drawArrivals(runId);
  const first = await drawStocks(runId, []);
  const box = document.getElementById("stock-states");
  const shown = new Set(first.series.map((s) => s.state));
  first.states.forEach((s) => {
    const label = el("label");
    const cb = el("input");
    cb.type = "checkbox"; cb.value = s; cb.checked = shown.has(s);
    cb.addEventListener("change", () => {
      const chosen = Array.from(box.querySelectorAll("input:checked")).map((c) => c.value);
      if (chosen.length) drawStocks(runId, chosen);
    });
    label.appendChild(cb); label.appendChild(document.createTextNode(" " + s));
    box.appendChild(label);
  });
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
  const years = res.rows.map((r) => r.year);
  Plotly.newPlot("compare-chart", [
    { x: years, y: res.rows.map((r) => r.a), mode: "lines+markers", name: "run A " + res.a },
    { x: years, y: res.rows.map((r) => r.b), mode: "lines+markers", name: "run B " + res.b },
  ], {
    margin: { l: 70, r: 20, t: 30, b: 60 }, title: { text: res.label + " — median over runs", font: { size: 13 } },
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
      res.outcomes.forEach((o) => { const opt = el("option", o); opt.value = o; select.appendChild(opt); });
      filled = true;
    }
    count.textContent = "Showing " + res.journeys.length + " of " + res.total + " sampled histories.";
    list.textContent = "";
    res.journeys.forEach((j) => {
      const li = el("li");
      li.appendChild(el("div", "person " + j.agent + " · " + j.sex + " · entered " + j.entry_date + " · ended: " + j.final_state, "meta"));
      li.appendChild(el("p", j.text));
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
