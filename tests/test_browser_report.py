"""The offline HTML report opened from disk in a real browser (Debian's Chromium).

The report of a short example run is written to a temporary folder and opened
as a ``file://`` page: every chart must render (plotly draws an SVG with
content), the page must log no console error and must request nothing but the
file itself. A screenshot of the first screen is kept in
``tests/browser_artifacts/``.
Every wait is on a condition, bounded by a limit scaled with the machine's load.
Skipped when ``/usr/bin/chromium`` or Playwright is missing.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

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

import crossings  # noqa: E402
from crossings.report import build_report  # noqa: E402
from test_web_timing import scaled  # noqa: E402

pytestmark = pytest.mark.slow
UI_TIMEOUT_S = 30  # an upper bound on a quiet machine, scaled with the load

ARTIFACTS = Path(__file__).parent / "browser_artifacts"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("report")
    for name, variant in (("base", None), ("whatif", "never_closed")):
        res = crossings.simulate(
            "example", runs=2, seed=1, workers=1, variant=variant, overrides=["time.end=2011-12-31"]
        )
        crossings.write_results(res, d / name)
    return build_report([d / "base", d / "whatif"], d / "report.html")


def test_report_renders_offline_with_no_errors(report_file: Path) -> None:
    console: list[str] = []
    errors: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=LAUNCH_ARGS,
            timeout=scaled(UI_TIMEOUT_S) * 1000,
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(scaled(UI_TIMEOUT_S) * 1000)
            page.set_default_navigation_timeout(scaled(UI_TIMEOUT_S) * 1000)
            sync_api.expect.set_options(timeout=scaled(UI_TIMEOUT_S) * 1000)
            page.on("console", lambda m: m.type == "error" and console.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report_file.as_uri())
            page.wait_for_load_state("load")
            plots = page.locator(".js-plotly-plot")
            n_plots = plots.count()
            assert n_plots >= 6
            for i in range(n_plots):
                plot = plots.nth(i)
                plot.scroll_into_view_if_needed()
                svg = plot.locator("svg.main-svg").first
                sync_api.expect(svg).to_be_attached()
                box = svg.bounding_box()
                assert box is not None and box["width"] > 100 and box["height"] > 100
                # something is drawn: traces, shapes or the Sankey's nodes
                drawn = plot.locator("g.trace, g.sankey, path.js-line, g.scattergeo")
                assert drawn.count() > 0, f"plot {i} is empty"
            for heading in (
                "Arrivals vs observed",
                "Where people who left Examplestan went",
                "The map",
                "Stocks over time",
                "What-if comparison",
                "Where the numbers come from",
            ):
                assert page.get_by_role("heading", name=heading).count() >= 1, heading
            ARTIFACTS.mkdir(exist_ok=True)
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=False)
        finally:
            browser.close()
    assert not console, f"console errors: {console}"
    assert not errors, f"page errors: {errors}"
    foreign = [u for u in requests if urlsplit(u).scheme not in ("file", "data", "blob", "about")]
    assert not foreign, f"the report requested: {foreign}"
