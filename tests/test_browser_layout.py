"""Every page and chart at a laptop's width and on a large screen, looked at in Chromium.

The report (North Korea with three runs and its 'never closed' what-if, and a
single run of the example) and each page of the web app (with those runs in
its runs folder) are opened at 1366×768 and 1920×1080. For every chart the
test checks what a reader would stumble on and the library lets a test see:

* no two pieces of text (titles, axis titles and ticks, legend entries,
  buttons, Sankey node labels, place names) overlap;
* no text sticks out of its chart;
* no Sankey node label is cut short with an ellipsis, and every node is named;
* no element with CSS ellipsis is cut (``scrollWidth > clientWidth``);

and every page logs no console error. A screenshot of the viewport is kept
for every page and chart in ``tests/browser_artifacts/`` (small PNGs, not
full pages) for a person to look at. Waits are on conditions, bounded by
limits scaled with the machine's load. Skipped when ``/usr/bin/chromium`` or
Playwright is missing.
"""

from __future__ import annotations

import shutil
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is missing (Debian package 'chromium'; scripts/test installs it "
        "when run as root)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)

import uvicorn  # noqa: E402

import crossings  # noqa: E402
from crossings.report import build_report  # noqa: E402
from crossings.web import create_app  # noqa: E402
from crossings.web.security import allowed_hosts  # noqa: E402
from test_browser import LAUNCH_ARGS, _free_port  # noqa: E402
from test_web_timing import scaled, wait_until  # noqa: E402

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).parent / "browser_artifacts"
SIZES = ((1366, 768), (1920, 1080))
UI_TIMEOUT_S = 30  # upper bound on a quiet machine, scaled with the load
HOST = "127.0.0.1"
NK_RUN, NK_WHATIF, EX_RUN = "00000000000000a1", "00000000000000a2", "00000000000000b1"

LAYOUT_JS = """
(root) => {
  const problems = [];
  const box = root.getBoundingClientRect();
  const texts = [];
  root.querySelectorAll("svg text").forEach((t) => {
    const s = (t.textContent || "").trim();
    if (!s || t.closest(".hoverlayer")) return;
    const style = getComputedStyle(t);
    if (style.visibility === "hidden" || style.display === "none" || +style.opacity === 0) return;
    const g = t.closest("g");
    if (g && g.style && g.style.opacity === "0") return;
    const r = t.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return;
    texts.push({ s, r, cls: (t.getAttribute("class") || "") + " " +
      ((t.parentNode && t.parentNode.getAttribute && t.parentNode.getAttribute("class")) || "") });
  });
  const tol = 1.5;
  for (const t of texts) {
    if (t.r.left < box.left - tol || t.r.right > box.right + tol ||
        t.r.top < box.top - tol || t.r.bottom > box.bottom + tol) {
      problems.push("outside its chart: '" + t.s + "'");
    }
  }
  for (let i = 0; i < texts.length; i++) {
    for (let j = i + 1; j < texts.length; j++) {
      const a = texts[i].r, b = texts[j].r;
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 2 && h > 2) problems.push("overlap: '" + texts[i].s + "' / '" + texts[j].s + "'");
    }
  }
  root.querySelectorAll(".sankey .node-label").forEach((t) => {
    const s = (t.textContent || "").trim();
    if (!s) problems.push("a Sankey node without a name");
    if (s.endsWith("…")) problems.push("Sankey label cut short: '" + s + "'");
  });
  return problems;
}
"""

ELLIPSIS_JS = """
() => Array.from(document.querySelectorAll("body *"))
  .filter((e) => getComputedStyle(e).textOverflow === "ellipsis" && e.scrollWidth > e.clientWidth)
  .map((e) => e.tagName + ": " + (e.textContent || "").trim().slice(0, 80))
"""


# ---------------------------------------------------------------- results and reports
@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """North Korea (3 runs) and its 'never closed' what-if; one run of the example."""
    root = tmp_path_factory.mktemp("layout-results")
    out = {}
    for name, scenario, variant, runs in (
        ("nk", "north-korea", None, 3),
        ("nk_never_closed", "north-korea", "never_closed", 3),
        ("example_one", "example", None, 1),
    ):
        res = crossings.simulate(scenario, runs=runs, seed=1, variant=variant)
        out[name] = crossings.write_results(res, root / name)
    return out


@pytest.fixture(scope="module")
def reports(results: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("layout-reports")
    return {
        "nk-whatif": build_report([results["nk"], results["nk_never_closed"]], d / "nk.html"),
        "example-one-run": build_report([results["example_one"]], d / "example.html"),
    }


@pytest.fixture(scope="module")
def base_url(results: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("layout-web")
    for run_id, name in ((NK_RUN, "nk"), (NK_WHATIF, "nk_never_closed"), (EX_RUN, "example_one")):
        shutil.copytree(results[name], data / "runs" / run_id)
    port = _free_port()
    app = create_app(data, workers=1, allowed_hosts=allowed_hosts(HOST, port))
    server = uvicorn.Server(uvicorn.Config(app, host=HOST, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="crossings-layout", daemon=True)
    thread.start()
    wait_until(lambda: server.started or not thread.is_alive(), 30, "the web app listening")
    assert thread.is_alive(), "the web app did not start"
    url = f"http://{HOST}:{port}"
    with urllib.request.urlopen(f"{url}/api/runs", timeout=scaled(10)) as resp:
        assert resp.status == 200
    yield url
    server.should_exit = True
    thread.join(timeout=scaled(30))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        try:
            b = pw.chromium.launch(
                executable_path=str(CHROMIUM),
                headless=True,
                args=LAUNCH_ARGS,
                timeout=scaled(UI_TIMEOUT_S) * 1000,
            )
        except sync_api.Error as exc:  # pragma: no cover - broken local install
            pytest.skip(f"{CHROMIUM} could not be launched by Playwright: {exc}")
        yield b
        b.close()


def new_page(browser: Any, size: tuple[int, int]) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.set_default_timeout(scaled(UI_TIMEOUT_S) * 1000)
    page.set_default_navigation_timeout(scaled(UI_TIMEOUT_S) * 1000)
    sync_api.expect.set_options(timeout=scaled(UI_TIMEOUT_S) * 1000)
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


def shot(page: Any, name: str) -> None:
    """A screenshot of the viewport (small), kept as a test artefact."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def drawn(plot: Any) -> None:
    """A plotly chart has drawn something (an SVG with traces or nodes)."""
    sync_api.expect(plot.locator("svg.main-svg").first).to_be_attached()
    wait_until(
        lambda: plot.locator("g.trace, g.sankey, g.scattergeo, path.js-line").count() > 0,
        UI_TIMEOUT_S,
        "a chart drawn",
    )


def check_charts(page: Any, name: str, *, shots: bool = True) -> list[str]:
    """Every plotly chart of a page: its layout problems (a screenshot of each)."""
    problems: list[str] = []
    plots = page.locator(".js-plotly-plot")
    for i in range(plots.count()):
        plot = plots.nth(i)
        plot.evaluate("e => e.scrollIntoView({block: 'start'})")
        drawn(plot)
        ident = plot.get_attribute("id") or f"chart-{i}"
        problems += [f"{ident}: {p}" for p in plot.evaluate(LAYOUT_JS)]
        if shots:
            shot(page, f"{name}-{ident.removeprefix('fig-')}")
    problems += [f"CSS ellipsis cuts {e}" for e in page.evaluate(ELLIPSIS_JS)]
    return problems


# ---------------------------------------------------------------- the tests
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_report_charts_are_legible(
    browser: Any, reports: dict[str, Path], size: tuple[int, int]
) -> None:
    w = size[0]
    problems: list[str] = []
    for name, path in reports.items():
        page, errors = new_page(browser, size)
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        sync_api.expect(page.locator("#answer")).to_be_visible()
        shot(page, f"report-{name}-{w}-first-screen")
        # the first screen answers: what was run, the headline, the what-if's answer
        first = page.locator("#answer")
        assert first.bounding_box()["y"] < size[1] / 2  # type: ignore[index]
        sync_api.expect(first).to_contain_text("What was run:")
        if name == "nk-whatif":
            sync_api.expect(first).to_contain_text("What if — north-korea [never_closed]")
        else:
            sync_api.expect(first).to_contain_text("One run: the figures have no band")
        problems += [
            f"{name}: {p}"
            for p in check_charts(
                page, f"report-{name}-{w}", shots=w == 1366 or name == "nk-whatif"
            )
        ]
        assert not errors, f"{name}: console errors {errors}"
        page.close()
    assert not problems, "\n".join(problems)


WEB_PAGES = (
    ("scenario", "/"),
    ("run", f"/runs/{NK_RUN}"),
    ("compare", f"/compare?a={NK_RUN}&b={NK_WHATIF}"),
    ("journeys", f"/journeys/{NK_RUN}"),
    ("runs", "/runs"),
    ("run-one", f"/runs/{EX_RUN}"),
)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_web_pages_are_legible(browser: Any, base_url: str, size: tuple[int, int]) -> None:
    w = size[0]
    problems: list[str] = []
    for name, path in WEB_PAGES:
        page, errors = new_page(browser, size)
        page.goto(base_url + path)
        page.wait_for_load_state("load")
        if name.startswith("run"):
            if name != "runs":
                sync_api.expect(page.locator("#answer")).to_be_visible()
                drawn(page.locator("#sankey-chart"))
                sync_api.expect(page.locator("#observations tbody tr").first).to_be_attached()
        elif name == "compare":
            sync_api.expect(page.locator("#compare-differences table").first).to_be_visible()
            drawn(page.locator("#compare-chart"))
        elif name == "journeys":
            sync_api.expect(page.locator("#journey-list li").first).to_be_visible()
        elif name == "scenario":
            sync_api.expect(page.locator("h1")).to_contain_text("North Korea")
            drawn(page.locator("#timeline-chart"))
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, f"web-{name}-{w}")
        problems += [f"{name}: {p}" for p in check_charts(page, f"web-{name}-{w}", shots=False)]
        if name == "run":
            labels = page.locator("#stock-states label").all_text_contents()
            assert labels and not any("_" in x for x in labels), labels  # names, not ids
            assert page.locator("#stock-states fieldset legend").count() >= 3
            page.locator("#sankey-chart").evaluate("e => e.scrollIntoView({block: 'start'})")
            shot(page, f"web-{name}-{w}-sankey")
            page.locator("#stock-states").evaluate("e => e.scrollIntoView({block: 'start'})")
            shot(page, f"web-{name}-{w}-states")
        if name == "run-one":
            sync_api.expect(page.locator("#run-note")).to_contain_text("One run")
            verdicts = page.locator("#observations td.ok, #observations td.off")
            assert verdicts.count() == 0  # one run: no inside/outside verdict
        if name == "journeys":
            text = page.locator("#journey-list").inner_text()
            assert "simulated" in page.locator("h1").inner_text()
            assert "Interrogation detected" in text
        assert not errors, f"{name}: console errors {errors}"
        page.close()
    assert not problems, "\n".join(problems)
