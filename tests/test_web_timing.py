"""Time limits of the web, browser and API tests: waits on conditions, bounds that scale.

The web tests never sleep for a fixed time and never assume how fast the
machine is: they wait until a condition holds (a run's state, an element on
a page) and use a time limit only as the upper bound, scaled by
:func:`scaled` with the machine's load. Other test modules import the
helpers from here (``from test_web_timing import scaled, wait_until``); the
tests below check the helpers themselves.

``CROSSINGS_TEST_TIMEOUT_SCALE`` (a number ≥ 1) overrides the load factor,
e.g. on a machine known to be slow.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

import pytest

SCALE_ENV = "CROSSINGS_TEST_TIMEOUT_SCALE"
T = TypeVar("T")


def load_factor() -> float:
    """How much slower than a quiet machine this one may be now (at least 1).

    ``CROSSINGS_TEST_TIMEOUT_SCALE`` if set, else the 1-minute load average per CPU.
    """
    override = os.environ.get(SCALE_ENV)
    if override:
        try:
            value = float(override)
        except ValueError:
            raise ValueError(f"{SCALE_ENV} must be a number, not {override!r}") from None
        return max(1.0, value)
    try:
        load = os.getloadavg()[0]
    except OSError:  # pragma: no cover - platforms without a load average
        return 1.0
    return max(1.0, load / (os.cpu_count() or 1))


def scaled(seconds: float) -> float:
    """A time limit of ``seconds`` on a quiet machine, stretched with the current load."""
    return seconds * load_factor()


def wait_until(
    condition: Callable[[], T | None], timeout: float, what: str, interval: float = 0.05
) -> T:
    """Poll ``condition`` until it returns something other than None (or False).

    Args:
        condition: Returns the awaited value, or None/False while not there yet.
        timeout: Upper bound in seconds on a quiet machine (scaled with the load).
        what: What is awaited, for the failure message.
        interval: Seconds between two polls.

    Returns:
        The first value ``condition`` returned that is not None or False.

    Raises:
        AssertionError: If the condition did not hold in time.
    """
    limit = scaled(timeout)
    deadline = time.monotonic() + limit
    while True:
        value = condition()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached in {limit:.0f} s")
        time.sleep(interval)


# ---------------------------------------------------------------- the helpers' own tests
def test_scale_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SCALE_ENV, "3")
    assert scaled(10) == 30
    monkeypatch.setenv(SCALE_ENV, "0.2")  # never shorter than on a quiet machine
    assert scaled(10) == 10
    monkeypatch.setenv(SCALE_ENV, "fast")
    with pytest.raises(ValueError, match=SCALE_ENV):
        scaled(10)


def test_scale_follows_the_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SCALE_ENV, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (8.0, 1.0, 1.0))
    assert scaled(15) == 60
    monkeypatch.setattr(os, "getloadavg", lambda: (0.5, 1.0, 1.0))
    assert scaled(15) == 15


def test_wait_until(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SCALE_ENV, "1")
    calls = iter([None, False, "ready"])
    assert wait_until(lambda: next(calls), timeout=5, what="ready", interval=0) == "ready"
    with pytest.raises(AssertionError, match="never: not reached in 0 s"):
        wait_until(lambda: None, timeout=0.01, what="never", interval=0)
