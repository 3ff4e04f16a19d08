"""The web app in a real browser with a calibration: a run drawn from its posterior.

A user picks "drawn from the calibration" on the scenario form, runs, and the
run page shows the calibration's estimates, each with what the data can tell
of it, next to the number. Skipped like ``test_browser`` without Chromium.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from crossings.cli import app as cli
from crossings.web import create_app
from crossings.web.security import allowed_hosts
from test_browser import (  # noqa: F401 - fixtures and helpers shared with the browser tests
    HOST,
    Watch,
    _free_port,
    browser,
    run_timeout_ms,
    session,
    shot,
    sync_api,
)
from test_web_timing import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def calibrated_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    cal = tmp_path_factory.mktemp("cal") / "example-cal"
    r = CliRunner().invoke(
        cli,
        ["calibrate", "example", "--out", str(cal), "--draws", "200", "--target-ess", "200"],
    )
    assert r.exit_code == 0, r.output
    port = _free_port()
    app = create_app(
        tmp_path_factory.mktemp("browser-cal-web"),
        workers=1,
        allowed_hosts=allowed_hosts(HOST, port),
        calibrations=[cal],
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host=HOST, port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="crossings-web-cal", daemon=True)
    thread.start()
    wait_until(lambda: bool(server.started), 30, f"the web app listening on {HOST}:{port}")
    yield f"http://{HOST}:{port}"
    server.should_exit = True
    thread.join(timeout=30)


def test_a_run_drawn_from_the_posterior_shows_estimates_with_labels(
    session: tuple[Any, Watch],  # noqa: F811 - the shared fixture
    calibrated_url: str,
) -> None:
    page, watch = session
    page.goto(f"{calibrated_url}/?scenario=example")
    picker = page.locator("#calibration")
    sync_api.expect(picker.locator("option")).to_have_count(2)
    picker.select_option("example-cal")
    page.locator("#runs").fill("3")
    button = page.locator("#run-button")
    sync_api.expect(button).to_be_enabled()
    with page.expect_navigation(url=re.compile(r"/runs/[0-9a-f]+$")):
        button.click()
    sync_api.expect(page.locator("h1 + p")).to_contain_text("example-cal")
    sync_api.expect(page.locator("#run-state .state")).to_have_text(
        "done", timeout=run_timeout_ms()
    )
    card = page.locator("#headline .calibration")
    sync_api.expect(card).to_be_visible(timeout=run_timeout_ms())
    sync_api.expect(card.locator("h3")).to_have_text("Calibration example-cal")
    sync_api.expect(card.locator("th", has_text="what the data say")).to_have_count(1)
    rows = card.locator("tbody tr")
    assert rows.count() > 4
    first = rows.first.locator("td").all_text_contents()
    assert first[0] == "People crossing the river", first
    assert first[4] in ("set by the data", "partly set by the data") or first[4].startswith(
        "prior-driven"
    ), first
    sync_api.expect(page.locator("#run-note")).to_contain_text("posterior")
    shot(page, "20-run-from-calibration")
    watch.assert_clean()


def test_expected_values_of_the_draws_from_the_form(
    session: tuple[Any, Watch],  # noqa: F811 - the shared fixture
    calibrated_url: str,
) -> None:
    page, watch = session
    page.goto(f"{calibrated_url}/?scenario=example")
    box = page.locator("#expected")
    sync_api.expect(box).to_be_disabled()  # only with a calibration
    page.locator("#calibration").select_option("example-cal")
    sync_api.expect(box).to_be_enabled()
    box.check()
    runs = page.locator("#runs")
    sync_api.expect(runs).to_have_value("100")  # draws are cheap: more of them
    sync_api.expect(runs).to_have_attribute("max", "100")
    sync_api.expect(page.locator("#runs-label")).to_contain_text("Posterior draws")
    runs.fill("40")
    button = page.locator("#run-button")
    sync_api.expect(button).to_be_enabled()
    with page.expect_navigation(url=re.compile(r"/runs/[0-9a-f]+$")):
        button.click()
    sync_api.expect(page.locator("h1 + p")).to_contain_text("expected values of each draw")
    sync_api.expect(page.locator("#run-state .state")).to_have_text(
        "done", timeout=run_timeout_ms()
    )
    sync_api.expect(page.locator("#run-note")).to_contain_text("not the engine's chance")
    shot(page, "21-expected-values-of-draws")
    watch.assert_clean()
