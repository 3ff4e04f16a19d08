"""Calibrations the web app may draw runs from, registered when the server starts.

``crossings serve --calibration DIR`` (repeatable) registers ``crossings
calibrate`` folders. A run request names one by its *name* (the folder's
name, made unique), never by a path, so no request can point the server at a
folder it was not given. A run drawn from a calibration takes each run's
parameters from that posterior (:data:`crossings.results.bundle.RunMode.POSTERIOR`):
its band then holds the calibration's uncertainty about the parameters as well
as the engine's noise, and a what-if drawn from the same calibration with the
same seed is paired draw by draw with its base.

What a calibration says of itself — its estimates with what the data can
tell about each, its held-back checks with their verdicts, how many of its
numbers the data set — is read from its tables through
:mod:`crossings.results.views`, as the report reads it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from crossings.results import views
from crossings.results.bundle import ScenarioInfo

CALIBRATION_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
"""What a registered calibration's name looks like (it appears in URLs)."""


class CalibrationFolderError(ValueError):
    """A folder given to ``--calibration`` is not a finished calibration."""


@dataclass(frozen=True)
class Calibration:
    """A registered calibration folder.

    Attributes:
        name: How requests name it.
        path: The folder (server side only; never sent to a client).
        scenario: The scenario it was calibrated from (``calibration.json``).
        method: ``hmc`` or ``importance`` (exact posterior) or ``laplace``.
        importance_failed: Why the exact posterior could not be sampled and
            the Laplace fit was reported instead (empty when it could).
        draws: Posterior draws in ``posterior.parquet``.
        ess: Effective sample size (importance sampling; NaN otherwise).
        converged: Whether the mode search converged.
    """

    name: str
    path: Path
    scenario: str
    method: str
    importance_failed: str
    draws: int
    ess: float
    converged: bool

    def public(self) -> dict[str, Any]:
        """What a client may see of it (no path)."""
        return {
            "name": self.name,
            "scenario": self.scenario,
            "method": self.method,
            "importance_failed": self.importance_failed or None,
            "draws": self.draws,
            "ess": self.ess if math.isfinite(self.ess) else None,
            "converged": self.converged,
        }


def _read(path: Path) -> tuple[dict[str, Any], int]:
    """A calibration folder's record and number of draws; raises on anything missing."""
    path = Path(path)
    if not path.is_dir():
        raise CalibrationFolderError(
            f"{path}: no such folder (give a `crossings calibrate --out` folder)"
        )
    for name in ("calibration.json", "posterior.parquet", "estimates.csv"):
        if not (path / name).is_file():
            raise CalibrationFolderError(
                f"{path}: no {name}; is it a finished `crossings calibrate --out` folder?"
            )
    try:
        meta = json.loads((path / "calibration.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CalibrationFolderError(f"{path / 'calibration.json'}: unreadable ({exc})") from exc
    if not isinstance(meta, dict) or not isinstance(meta.get("scenario"), str):
        raise CalibrationFolderError(
            f"{path / 'calibration.json'}: expected an object naming its scenario"
        )
    try:
        draws = len(pd.read_parquet(path / "posterior.parquet", columns=["draw"]))
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise CalibrationFolderError(
            f"{path / 'posterior.parquet'}: unreadable ({type(exc).__name__}: {exc})"
        ) from exc
    return meta, draws


class CalibrationRegistry:
    """The calibrations one app was started with (read-only after start).

    Args:
        folders: ``crossings calibrate`` output folders.
        scenarios: The scenarios runs can be made of (the web app runs built-in
            scenarios only); ``None`` accepts a calibration of any scenario.

    Raises:
        CalibrationFolderError: If a folder is not a finished calibration, or
            is of a scenario not in ``scenarios``.
    """

    def __init__(
        self, folders: Sequence[Path] = (), scenarios: Sequence[str] | None = None
    ) -> None:
        self._by_name: dict[str, Calibration] = {}
        for folder in folders:
            meta, draws = _read(Path(folder))
            if scenarios is not None and meta["scenario"] not in scenarios:
                raise CalibrationFolderError(
                    f"{folder}: a calibration of '{meta['scenario']}', which the web app "
                    "cannot run (it runs the built-in scenarios: "
                    + ", ".join(scenarios)
                    + "); calibrate one of those, e.g. `crossings calibrate example --out DIR`"
                )
            name = self._unique(Path(folder).resolve().name)
            ess = meta.get("ess")
            self._by_name[name] = Calibration(
                name=name,
                path=Path(folder),
                scenario=str(meta["scenario"]),
                method=str(meta.get("method", "")),
                importance_failed=str(meta.get("importance_failed") or ""),
                draws=draws,
                ess=float(ess) if isinstance(ess, int | float) else math.nan,
                converged=bool(meta.get("converged", False)),
            )

    def _unique(self, base: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_.-]", "-", base).lstrip("._-")[:70] or "calibration"
        name, k = base, 2
        while name in self._by_name:
            name, k = f"{base}-{k}", k + 1
        return name

    def get(self, name: str) -> Calibration | None:
        """A registered calibration by name (None if unknown or malformed)."""
        if not CALIBRATION_NAME_RE.fullmatch(name):
            return None
        return self._by_name.get(name)

    def names(self) -> list[str]:
        """Registered names, in the order given."""
        return list(self._by_name)

    def for_scenario(self, scenario: str) -> list[Calibration]:
        """The calibrations made from one scenario."""
        return [c for c in self._by_name.values() if c.scenario == scenario]

    def all(self) -> list[Calibration]:
        """Every registered calibration."""
        return list(self._by_name.values())


def _csv(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path) if path.is_file() else None


def detail(cal: Calibration, info: ScenarioInfo) -> dict[str, Any]:
    """What a calibration says: its estimates with labels, held-back checks, identifiability.

    Args:
        cal: The calibration.
        info: The scenario's description (names of estimates and series), as
            a results bundle carries it.

    Returns:
        JSON-ready dictionary (no server path).
    """
    est = _csv(cal.path / "estimates.csv")
    idf = _csv(cal.path / "identifiability.csv")
    chk = _csv(cal.path / "checks.csv")
    return {
        **cal.public(),
        "estimates": estimates_json(info, est, idf),
        "checks": checks_json(info, chk),
        "identifiability": identifiability_json(idf),
    }


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def estimates_json(
    info: ScenarioInfo, estimates: pd.DataFrame | None, identifiability: pd.DataFrame | None
) -> list[dict[str, Any]]:
    """A calibration's estimates in words, each with what the data say of it."""
    if estimates is None or estimates.empty:
        return []
    return [
        {
            "quantity": r.quantity,
            "title": r.title,
            "year": r.year,
            "sex": r.sex,
            "median": _num(r.median),
            "p05": _num(r.p05),
            "p95": _num(r.p95),
            "text": r.text,
            "label": r.label,
        }
        for r in views.estimate_rows(info, estimates, identifiability)
    ]


def identifiability_json(identifiability: pd.DataFrame | None) -> list[dict[str, Any]]:
    """How many of a calibration's numbers carry each identifiability label."""
    return [{"label": lab, "count": n} for lab, n in views.identifiability_counts(identifiability)]


def checks_json(info: ScenarioInfo, checks: pd.DataFrame | None) -> list[dict[str, Any]]:
    """A calibration's held-back checks in words, with their verdicts."""
    return [
        {
            "series": c.series,
            "title": c.title,
            "year": c.year,
            "observed": c.observed,
            "predicted": c.predicted,
            "verdict": c.verdict,
        }
        for c in views.held_back_checks(info, checks)
    ]


__all__ = [
    "CALIBRATION_NAME_RE",
    "Calibration",
    "CalibrationFolderError",
    "CalibrationRegistry",
    "checks_json",
    "detail",
    "estimates_json",
    "identifiability_json",
]
