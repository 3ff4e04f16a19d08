"""The web app in a real browser: Debian's Chromium driven by Playwright.

The app runs under uvicorn in a background thread on 127.0.0.1 (data in a tmp
folder, one worker). The tests follow a user: open the scenario page, type a
bad end date and see the inline error, fix it, run, watch the progress reach
done, look at the run's charts, run again with another policy value, compare
the two runs and read the sampled journeys. Every page must log no console
error and request nothing outside 127.0.0.1. Screenshots of the viewport are
kept in ``tests/browser_artifacts/`` (test artefacts) for a person to look at;
``test_browser_layout.py`` checks every page and chart for cut or
overlapping labels at a laptop's width and on a large screen.

The app sends a strict Content-Security-Policy: every page must work under
it, with no console message about a refused script, style or request. A
browser that resolves a foreign name (``evil.test``) to the server, as after
DNS rebinding, must get the 400 page. Nothing waits for a fixed time: every
wait is on a condition, bounded by a limit scaled with the machine's load
(:func:`test_web_timing.scaled`).

Skipped (with the reason) when ``/usr/bin/chromium`` or Playwright is missing:
``scripts/test`` installs both when run as root on Debian.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
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

import uvicorn  # noqa: E402

import crossings.web.store as store_module  # noqa: E402
from crossings.web import create_app  # noqa: E402
from crossings.web.security import allowed_hosts  # noqa: E402
from test_web_runs import Gate  # noqa: E402
from test_web_timing import scaled, wait_until  # noqa: E402

pytestmark = pytest.mark.slow

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
HOST = "127.0.0.1"
FOREIGN = "evil.test"  # resolved to HOST by the browser: a DNS-rebinding attacker's name
END = "2003-12-31"  # keeps each run of the example to a fraction of a second
RUN_TIMEOUT_S = 90  # upper bounds on a quiet machine (scaled with the load when used)
UI_TIMEOUT_S = 15
LOCAL_SCHEMES = {"data", "blob", "about"}
CSP_WORDS = ("content security policy", "content-security-policy")


def run_timeout_ms() -> float:
    """The bound on a run reaching ``done`` (milliseconds, for Playwright)."""
    return scaled(RUN_TIMEOUT_S) * 1000


# ---------------------------------------------------------------- the server
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    # what `crossings serve` does: answer only requests addressed to the bound address
    app = create_app(
        tmp_path_factory.mktemp("browser-web"), workers=1, allowed_hosts=allowed_hosts(HOST, port)
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host=HOST, port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="crossings-web", daemon=True)
    thread.start()

    def started() -> bool:
        if not thread.is_alive():
            raise RuntimeError(f"the web app did not start on {HOST}:{port}")
        return bool(server.started)

    wait_until(started, 30, f"the web app listening on {HOST}:{port}")
    url = f"http://{HOST}:{port}"
    with urllib.request.urlopen(f"{url}/openapi.json", timeout=scaled(10)) as resp:  # it answers
        assert resp.status == 200
    yield url
    server.should_exit = True
    thread.join(timeout=scaled(30))
    assert not thread.is_alive(), "the web app did not shut down"


# ---------------------------------------------------------------- the browser
@dataclass
class Watch:
    """Console messages, page errors and requests seen by one browser context."""

    console: list[tuple[str, str, str]] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def errors(self) -> list[str]:
        return [f"{url}: {text}" for kind, text, url in self.console if kind == "error"]

    def csp(self) -> list[str]:
        """Console messages (of any level) about the Content-Security-Policy."""
        return [
            f"{url}: {text}"
            for _, text, url in self.console
            if any(w in text.lower() for w in CSP_WORDS)
        ]

    def foreign(self) -> list[str]:
        out = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in LOCAL_SCHEMES:
                continue
            if parts.hostname != HOST:
                out.append(url)
        return out

    def assert_clean(self) -> None:
        assert not self.csp(), f"Content-Security-Policy violations: {self.csp()}"
        assert not self.errors(), f"console errors: {self.errors()}; failed: {self.failed}"
        assert not self.page_errors, f"uncaught page errors: {self.page_errors}"
        assert not self.foreign(), f"requests outside {HOST}: {self.foreign()}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # the foreign name resolves to this machine, as a rebinding attacker's DNS would make it
    args = [*LAUNCH_ARGS, f"--host-resolver-rules=MAP {FOREIGN} {HOST}"]
    with sync_api.sync_playwright() as pw:
        try:
            b = pw.chromium.launch(
                executable_path=str(CHROMIUM),
                headless=True,
                args=args,
                timeout=scaled(UI_TIMEOUT_S * 2) * 1000,
            )
        except sync_api.Error as exc:  # pragma: no cover - broken local install
            pytest.skip(f"{CHROMIUM} could not be launched by Playwright: {exc}")
        yield b
        b.close()


@pytest.fixture(scope="module")
def shared() -> dict[str, str]:
    """Run ids handed from one test to the next (the tests follow one user)."""
    return {}


@pytest.fixture
def session(browser: Any) -> Iterator[tuple[Any, Watch]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(scaled(UI_TIMEOUT_S) * 1000)
    context.set_default_navigation_timeout(scaled(UI_TIMEOUT_S * 2) * 1000)
    sync_api.expect.set_options(timeout=scaled(UI_TIMEOUT_S) * 1000)
    watch = Watch()
    context.on("request", lambda req: watch.requests.append(req.url))
    context.on(
        "response",
        lambda resp: (
            resp.status >= 400
            and watch.failed.append(f"{resp.status} {resp.request.method} {resp.url}")
        ),
    )
    page = context.new_page()
    page.on(
        "console",
        lambda msg: watch.console.append((msg.type, msg.text, msg.location.get("url") or page.url)),
    )
    page.on("pageerror", lambda exc: watch.page_errors.append(f"{page.url}: {exc}"))
    yield page, watch
    context.close()


def shot(page: Any, name: str) -> None:
    """A screenshot of the viewport (small PNGs, not full pages), kept as a test artefact."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def field_issue(page: Any, path: str) -> Any:
    """The inline issue text next to the input for ``path``."""
    return page.locator(f'input.ov[data-path="{path}"] ~ .field-issues')


def start_run(page: Any, base_url: str, changes: dict[str, str]) -> str:
    """On the scenario page: set the inputs, wait for validation, click Run; the run id."""
    page.goto(f"{base_url}/?scenario=example")
    for path, value in changes.items():
        page.locator(f'input.ov[data-path="{path}"]').fill(value)
    sync_api.expect(page.locator("#changed")).to_contain_text(f"{len(changes)} change(s)")
    button = page.locator("#run-button")
    sync_api.expect(button).to_be_enabled()
    with page.expect_navigation(url=re.compile(r"/runs/[0-9a-f]+$")):
        button.click()
    return page.url.rsplit("/", 1)[1]


def wait_chart(page: Any, chart_id: str) -> None:
    """A plotly chart has rendered inside ``#chart_id``, with titled axes."""
    svg = page.locator(f"#{chart_id} .main-svg").first
    svg.wait_for(state="visible", timeout=run_timeout_ms())
    box = svg.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 150, box
    titles = page.locator(f"#{chart_id} .g-xtitle, #{chart_id} .g-ytitle").all_text_contents()
    assert len([t for t in titles if t.strip()]) >= 1, f"{chart_id}: no axis titles"


# ---------------------------------------------------------------- the tests
def test_scenario_page_validates_and_runs(
    session: tuple[Any, Watch], base_url: str, shared: dict[str, str]
) -> None:
    page, watch = session
    page.goto(f"{base_url}/?scenario=example")
    sync_api.expect(page.locator("h1")).to_have_text(re.compile(r"^Scenario: Examplestan"))
    crackdown = page.locator("fieldset.policy", has_text="crackdown").first
    sync_api.expect(crackdown.locator("legend")).to_contain_text("Bordian crackdown")
    sync_api.expect(crackdown.locator(".prov").first).to_contain_text("sources: EX2")
    sync_api.expect(
        crackdown.locator(".prov", has_text="assumption: arrests double")
    ).to_be_visible()
    page.locator("#timeline-chart .main-svg").first.wait_for(state="visible")
    shot(page, "01-scenario")

    # an end date before the start: an inline error and no Run
    end = page.locator('input.ov[data-path="time.end"]')
    end.fill("1999-06-30")
    issue = field_issue(page, "time.end")
    sync_api.expect(issue).not_to_be_empty()
    sync_api.expect(end).to_have_class(re.compile(r"\binvalid\b"))
    sync_api.expect(page.locator("#run-button")).to_be_disabled()
    shot(page, "02-scenario-invalid")

    # fixed: the error goes, Run comes back
    end.fill(END)
    sync_api.expect(issue).to_be_empty()
    sync_api.expect(end).not_to_have_class(re.compile(r"\binvalid\b"))
    sync_api.expect(page.locator("#run-button")).to_be_enabled()
    sync_api.expect(page.locator("#changed")).to_contain_text(f"time.end={END}")
    with page.expect_navigation(url=re.compile(r"/runs/[0-9a-f]+$")):
        page.locator("#run-button").click()
    shared["a"] = page.url.rsplit("/", 1)[1]
    watch.assert_clean()


def test_runs_page_progress_reaches_done(
    session: tuple[Any, Watch], base_url: str, shared: dict[str, str]
) -> None:
    page, watch = session
    run_id = shared.get("a") or pytest.skip("no run was started")
    page.goto(f"{base_url}/runs")
    sync_api.expect(page.locator("h1")).to_have_text("Runs")
    row = page.locator(f'tr.run-row[data-run="{run_id}"]')
    sync_api.expect(row).to_have_count(1)
    sync_api.expect(row).to_contain_text(f"time.end={END}")
    sync_api.expect(row.locator(".state")).to_have_text("done", timeout=run_timeout_ms())
    assert row.locator("progress").evaluate("p => p.value") == 1
    shot(page, "03-runs")
    watch.assert_clean()


def test_run_page_charts(session: tuple[Any, Watch], base_url: str, shared: dict[str, str]) -> None:
    page, watch = session
    run_id = shared.get("a") or pytest.skip("no run was started")
    page.goto(f"{base_url}/runs/{run_id}")
    run_state = page.locator("#run-state .state")
    sync_api.expect(run_state).to_have_text("done", timeout=run_timeout_ms())
    wait_chart(page, "arrivals-chart")
    wait_chart(page, "stocks-chart")
    ytitle = page.locator("#arrivals-chart .g-ytitle").text_content() or ""
    assert "people per year" in ytitle
    sync_api.expect(page.locator("#observations tbody tr").first).to_be_visible()
    sync_api.expect(page.locator("#stock-states input[type=checkbox]").first).to_be_visible()
    shot(page, "04-run")
    watch.assert_clean()


def test_second_run_and_compare(
    session: tuple[Any, Watch], base_url: str, shared: dict[str, str]
) -> None:
    page, watch = session
    a = shared.get("a") or pytest.skip("no first run")
    # the crackdown earlier and harsher: fewer people get through by 2003
    b = start_run(
        page,
        base_url,
        {
            "time.end": END,
            "policies.crackdown.from": "2001-01-01",
            "policies.crackdown.effects.0.factor.value": "4",
        },
    )
    assert b != a
    shared["b"] = b
    run_state = page.locator("#run-state .state")
    sync_api.expect(run_state).to_have_text("done", timeout=run_timeout_ms())
    page.goto(f"{base_url}/compare?a={a}&b={b}")
    sync_api.expect(page.locator("h1")).to_have_text("Compare runs")
    wait_chart(page, "compare-chart")
    wait_chart(page, "difference-chart")
    sync_api.expect(page.locator("#compare-table tbody tr")).to_have_count(4)  # 2000–2003
    sync_api.expect(page.locator("#compare-message")).to_be_empty()
    shot(page, "05-compare")
    watch.assert_clean()


def test_journeys_page(session: tuple[Any, Watch], base_url: str, shared: dict[str, str]) -> None:
    page, watch = session
    run_id = shared.get("a") or pytest.skip("no run was started")
    page.goto(f"{base_url}/journeys/{run_id}")
    sync_api.expect(page.locator("h1")).to_contain_text("Journeys of run")
    first = page.locator("#journey-list li").first
    sync_api.expect(first).to_be_visible()
    sync_api.expect(first.locator("p").first).to_have_text(re.compile(r"^A .+"))
    sync_api.expect(page.locator("#journey-count")).to_contain_text("Showing ")
    assert page.locator("#outcome option").count() > 1
    shot(page, "06-journeys")
    watch.assert_clean()


def test_run_report_under_its_policy(
    session: tuple[Any, Watch], base_url: str, shared: dict[str, str]
) -> None:
    """The full report (inline scripts allowed by their hashes) draws its charts."""
    page, watch = session
    run_id = shared.get("a") or pytest.skip("no run was started")
    response = page.goto(f"{base_url}/runs/{run_id}/report")
    assert response is not None and response.status == 200
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and "'sha256-" in policy
    plots = page.locator(".js-plotly-plot")
    sync_api.expect(plots.first.locator("svg.main-svg").first).to_be_attached()
    assert plots.count() >= 4
    watch.assert_clean()


def test_foreign_host_is_refused(browser: Any, base_url: str) -> None:
    """A page reached under another name (DNS rebinding) gets 400 and runs nothing."""
    port = urlsplit(base_url).port
    context = browser.new_context()
    context.set_default_navigation_timeout(scaled(UI_TIMEOUT_S * 2) * 1000)
    try:
        page = context.new_page()
        response = page.goto(f"http://{FOREIGN}:{port}/?scenario=example")
        assert response is not None
        assert response.status == 400
        assert response.headers["content-type"].startswith("text/plain")
        sync_api.expect(page.locator("body")).to_contain_text("invalid Host header")
        assert page.locator("#scenario-form").count() == 0
        api = page.goto(f"http://{FOREIGN}:{port}/api/runs")
        assert api is not None and api.status == 400
        # the same server, under its own address, answers (requests made outside the browser)
        ok = context.request.get(f"{base_url}/api/runs")
        assert ok.status == 200
        local = context.request.get(f"http://localhost:{port}/api/scenarios")
        assert local.status == 200
    finally:
        context.close()


def test_cancel_button_stops_a_run(
    session: tuple[Any, Watch], base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run page's Cancel button: a run held at a gate is asked to stop, and stops."""
    page, watch = session
    gate = Gate(store_module.simulate)
    monkeypatch.setattr(store_module, "simulate", gate)
    try:
        request = urllib.request.Request(
            f"{base_url}/api/runs",
            data=json.dumps({"scenario": "example", "overrides": {"time.end": END}}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=scaled(10)) as resp:
            run_id = json.loads(resp.read())["run_id"]
        gate.wait_entered()
        page.goto(f"{base_url}/runs/{run_id}")
        state = page.locator("#run-state .state")
        sync_api.expect(state).to_have_text("running")
        button = page.locator("#cancel-button")
        sync_api.expect(button).to_be_visible()
        button.click()
        sync_api.expect(state).to_have_text("cancelled")
        sync_api.expect(button).to_be_hidden()
        sync_api.expect(page.locator("#run-error")).to_have_text("cancelled on request")
        shot(page, "07-cancelled")
    finally:
        gate.release.set()
    watch.assert_clean()
