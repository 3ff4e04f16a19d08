"""Accepted claims into a scenario: observation rows and priors in an overlay.

:func:`use_claims` (``crossings evidence use CLAIM... --scenario S``) writes a
scenario that ``extends`` S and adds what the claims say:

* a **count** becomes an observation row, its qualifier the likelihood term
  (:func:`row_value`): an exact count a count; "at least" / "over" a
  one-sided bound ``{low: X}``; "up to" / "fewer than" ``{high: X}``; a range
  a range; "about" and "nearly" a range as wide as the number's rounding and
  the qualifier allow (:func:`about_interval`). The row goes into the series
  the claim was linked to when it was accepted (else the best match,
  :mod:`crossings.evidence.matching`), as a new row, or as a missing sex of an
  existing row. A row that is already observed is **not** added again (the
  overlay says so); ``replace=True`` replaces it.
* a **rate or share** about a parameter becomes a **prior**: on the
  calibration unknown that sets it (a share per year ``p`` is the rate
  ``−ln(1 − p)``; a range is the prior's 5–95% interval), or on a new unknown
  ``mode: value`` when none does.

Claims that are not counts (estimates and reports: any qualifier but exact,
or a range) are held back as checks (``role: check``, with the reason) unless
``fit=True``: in a series of their own (``<series>_ev_check``) when the series
they match is fitted.

Every row and prior cites the claim's source, added to the overlay's
``sources``. A confidential source is cited by an opaque id
(``EV-CONF-<claim id>``, "confidential source (held in the evidence base)"):
its identity never leaves the store. Rows carry ``evidence claim N: …`` in
their ``note`` (:data:`NOTE_PATTERN` reads it back), which is how a comparison
of two calibrations (:mod:`crossings.calibrate.compare`) names the claims
behind new rows.

The overlay repeats the base scenario's ``sources`` (a scenario's
``sources`` block replaces the one it extends) and, for a series it adds
rows to, the series' rows written in the scenario (rows are a list without
ids, so they are replaced as a whole; rows read from a CSV ``file`` are read
again from it and not repeated).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from crossings.evidence.conflicts import ABOUT_TOLERANCE, rounding_unit
from crossings.evidence.matching import (
    ParameterTarget,
    Proposal,
    SeriesTarget,
    StateIndex,
    match_claim,
)
from crossings.evidence.records import ClaimRecord, SourceRecord
from crossings.evidence.redact import clean_text, redact
from crossings.evidence.store import EvidenceStore, StoreError
from crossings.scenario.errors import ScenarioError, format_path
from crossings.scenario.load import LoadedScenario, builtin_names, builtin_path, load_scenario
from crossings.scenario.schema import Observation, Rate, Scenario
from crossings.scenario.validate import walk_models

__all__ = [
    "CONFIDENTIAL_CITATION",
    "NOTE_PATTERN",
    "OverlayError",
    "UseResult",
    "UseStep",
    "about_interval",
    "claim_ids_in",
    "confidential_id",
    "is_count",
    "row_value",
    "use_claims",
]

#: The citation of a confidential source in an overlay.
CONFIDENTIAL_CITATION = "confidential source (held in the evidence base)"
#: How a row's note names the claims it came from (``evidence claim 12: …``).
NOTE_PATTERN = re.compile(r"\bevidence claim (\d+)\b")
#: A share per year as a 90% interval of a lognormal prior: z of the 95th percentile.
_Z95 = 1.6448536269514722
#: The narrowest prior a single stated rate gives (sigma of the log).
MIN_PRIOR_SIGMA = 0.1
_GRADE_CONFIDENCE = {"A": "high", "B": "high", "C": "medium"}

Action = Literal[
    "added-row",
    "added-sex",
    "replaced",
    "new-series",
    "prior",
    "new-unknown",
    "skipped",
]


class OverlayError(StoreError):
    """The claims cannot be used (not accepted, no figure, nothing matches, invalid result)."""


@dataclass(frozen=True)
class UseStep:
    """What was done with one claim.

    Attributes:
        claim_id: The claim.
        action: What was done (``added-row``, ``added-sex``, ``replaced``,
            ``new-series``, ``prior``, ``new-unknown``, ``skipped``).
        target: Where (``arrivals 2023 (total)``, an unknown's id).
        message: What and why, in words (names no confidential source).
    """

    claim_id: int
    action: Action
    target: str
    message: str


@dataclass(frozen=True)
class UseResult:
    """An overlay written by :func:`use_claims`.

    Attributes:
        path: The overlay file.
        name: The overlay scenario's name.
        extends: What it extends (as written in it).
        steps: What was done, claim by claim.
        text: The YAML written.
    """

    path: Path
    name: str
    extends: str
    steps: tuple[UseStep, ...]
    text: str = field(repr=False)

    @property
    def used(self) -> list[UseStep]:
        """The steps that changed the scenario."""
        return [s for s in self.steps if s.action != "skipped"]


# --------------------------------------------------------------------------- values
def is_count(claim: ClaimRecord) -> bool:
    """Whether a claim is a count (an exact figure) rather than an estimate or report."""
    return (
        claim.kind == "count"
        and claim.qualifier == "exact"
        and (claim.value_high is None or claim.value_high == claim.value)
    )


def about_interval(value: float, high: float | None = None) -> tuple[float, float]:
    """The values "about X" (or "about X–Y") stands for: its rounding and ±5%.

    Each end moves out by the larger of half the unit the number is rounded
    to ("about 3,000": 500; "about 2,600": 50) and :data:`ABOUT_TOLERANCE`
    (5%) of it.
    """
    h = value if high is None else high
    lo = value - max(rounding_unit(value) / 2, ABOUT_TOLERANCE * abs(value))
    hi = h + max(rounding_unit(h) / 2, ABOUT_TOLERANCE * abs(h))
    return max(lo, 0.0), hi


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(x, 6)


def row_value(claim: ClaimRecord) -> tuple[float | int | dict[str, float | int], str]:
    """A count claim as an observation value and how its qualifier was read.

    Raises:
        OverlayError: When the claim has no value.
    """
    if claim.value is None:
        raise OverlayError(f"claim {claim.id} has no value")
    v, h = claim.value, claim.value_high
    q = claim.qualifier
    if q in ("at least", "over"):
        return {"low": _num(v)}, f"'{q} {_num(v):,}': a lower bound"
    if q in ("up to", "fewer than"):
        top = h if h is not None else v
        return {"high": _num(top)}, f"'{q} {_num(top):,}': an upper bound"
    if q == "about":
        lo, hi = about_interval(v, h)
        return {"low": _num(lo), "high": _num(hi)}, (
            f"'about': its rounding and ±{ABOUT_TOLERANCE:.0%}, {_num(lo):,}–{_num(hi):,}"
        )
    if q == "nearly":
        lo, _ = about_interval(v)
        return {"low": _num(lo), "high": _num(v)}, (
            f"'nearly': up to the value, down by its rounding or {ABOUT_TOLERANCE:.0%}, "
            f"{_num(lo):,}–{_num(v):,}"
        )
    if h is not None and h != v:
        return {"low": _num(v), "high": _num(h)}, f"a range, {_num(v):,}–{_num(h):,}"
    return _num(v), f"an exact count, {_num(v):,}"


def _rate_interval(claim: ClaimRecord) -> tuple[float, float, str]:
    """A rate or share claim as an interval of rates per year, and how it was read."""
    if claim.value is None:
        raise OverlayError(f"claim {claim.id} has no value")
    v, h = claim.value, claim.value_high if claim.value_high is not None else claim.value
    q = claim.qualifier
    if q in ("at least", "over", "up to", "fewer than"):
        raise OverlayError(
            f"claim {claim.id} is a one-sided bound ('{q}'): no prior by itself; edit it into "
            f"a range (crossings evidence review --edit {claim.id} value=… value_high=…)"
        )
    share = claim.kind == "share" or claim.unit.strip().lower().startswith("percent")
    if share:
        lo_p, hi_p = v, h
        if q == "about":
            lo_p, hi_p = lo_p - 0.01, hi_p + 0.01
        elif lo_p == hi_p:
            unit = rounding_unit(round(v * 100, 6)) / 100
            lo_p, hi_p = v - unit / 2, v + unit / 2
        lo_p, hi_p = max(lo_p, 1e-6), min(hi_p, 1 - 1e-6)
        if not 0 < lo_p <= hi_p < 1:
            raise OverlayError(f"claim {claim.id}: a share must lie between 0 and 100%")
        lo, hi = -math.log1p(-lo_p), -math.log1p(-hi_p)
        how = (
            f"a share of {lo_p:.1%}–{hi_p:.1%} a year, as rates {lo:.3g}–{hi:.3g} per year "
            f"(rate = −ln(1 − share))"
        )
        return lo, hi, how
    lo, hi = about_interval(v, h) if q == "about" else (v, h)
    if lo <= 0:
        raise OverlayError(f"claim {claim.id}: a rate must be positive")
    return lo, hi, f"a rate of {lo:.3g}–{hi:.3g} per year"


def _lognormal(lo: float, hi: float) -> tuple[float, float]:
    median = math.sqrt(lo * hi)
    sigma = max(math.log(hi / lo) / (2 * _Z95), MIN_PRIOR_SIGMA)
    return median, sigma


# --------------------------------------------------------------------------- sources
def confidential_id(claim: ClaimRecord) -> str:
    """The opaque source id a confidential claim is cited by in a scenario."""
    return f"EV-CONF-{claim.id}"


def _confidence(grade: str) -> str:
    return _GRADE_CONFIDENCE.get(grade, "low")


def _source_entry(claim: ClaimRecord, src: SourceRecord | None) -> tuple[str, dict[str, Any]]:
    """The overlay's source id and entry for a claim's source (redacted)."""
    if claim.source_confidential:
        return confidential_id(claim), {
            "citation": CONFIDENTIAL_CITATION,
            "confidence": _confidence(claim.source_reliability),
            "note": f"reliability grade {claim.source_reliability}; identity withheld",
        }
    d = redact(src) if src is not None else {}
    parts = [str(x) for x in (d.get("title"), d.get("publisher"), d.get("author")) if x]
    date = d.get("published") or d.get("date_text")
    citation = d.get("citation") or (", ".join(parts) if parts else claim.source_label)
    if date and str(date) not in citation:
        citation += f" ({date})"
    entry: dict[str, Any] = {"citation": clean_text(citation)}
    if d.get("publisher"):
        entry["publisher"] = clean_text(d["publisher"])
    if d.get("url"):
        entry["url"] = clean_text(d["url"])
    if date:
        entry["date"] = str(date)
    entry["confidence"] = _confidence(claim.source_reliability)
    entry["note"] = f"evidence base source, reliability grade {claim.source_reliability}"
    return claim.source_id, entry


# --------------------------------------------------------------------------- the overlay
def claim_ids_in(note: str | None) -> list[int]:
    """The claim ids a row's note names (``evidence claim 12: …``)."""
    return [int(m) for m in NOTE_PATTERN.findall(note or "")]


def _claim_note(claim: ClaimRecord, sid: str, how: str) -> str:
    what = f"{claim.value_text} {claim.subject}"
    if claim.sex:
        what += f" ({claim.sex})"
    if claim.period_text:
        what += f", {claim.period_text}"
    if claim.place:
        what += f", {claim.place}"
    return clean_text(f"evidence claim {claim.id}: {what} ({sid}; {how})")


def _dump_row(row: Any) -> dict[str, Any]:
    data: dict[str, Any] = row.model_dump(exclude_none=True, by_alias=True)
    if "years" in data:
        data["years"] = list(data["years"])
    for sex in ("total", "female", "male"):
        v = data.get(sex)
        if isinstance(v, dict):
            data[sex] = {k: _num(x) for k, x in v.items() if x is not None}
        elif isinstance(v, float):
            data[sex] = _num(v)
    return data


def _dump(model: Any) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(exclude_none=True, by_alias=True, mode="json")
    return data


def _inline_rows(loaded: LoadedScenario, index: int, obs: Observation) -> list[dict[str, Any]]:
    """The rows of a series written in the scenario (not read from a CSV file)."""
    out = []
    for j, row in enumerate(obs.rows):
        loc = loaded.source_map.values.get(("observations", index, "rows", j))
        if loc is not None and str(loc.file).lower().endswith(".csv"):
            continue
        out.append(_dump_row(row))
    return out


def _row_label(row: dict[str, Any]) -> str:
    if "year" in row:
        return str(row["year"])
    if "years" in row:
        return f"{row['years'][0]}-{row['years'][1]}"
    d = row["date"]
    return d.isoformat() if isinstance(d, dt.date) else str(d)


def _extends(ref: str, out: Path) -> str:
    """How the overlay names its base: a built-in name, or a path relative to it."""
    if ref in builtin_names() and not Path(ref).is_file():
        return ref
    target = Path(ref).resolve()
    if target == builtin_path(target.stem) and target.stem in builtin_names():
        return target.stem
    try:
        return Path(os.path.relpath(target, out.resolve().parent)).as_posix()
    except ValueError:  # another drive
        return str(target)


@dataclass
class _Builder:
    """The overlay being built."""

    loaded: LoadedScenario
    fit: bool
    replace: bool
    sources: dict[str, Any] = field(default_factory=dict)
    series: dict[str, dict[str, Any]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    unknowns: dict[str, dict[str, Any]] = field(default_factory=dict)
    steps: list[UseStep] = field(default_factory=list)

    @property
    def sc(self) -> Scenario:
        return self.loaded.scenario

    def existing(self, series_id: str) -> tuple[int, Observation] | None:
        for i, o in enumerate(self.sc.observations):
            if o.id == series_id:
                return i, o
        return None

    def peek(self, series_id: str) -> dict[str, Any]:
        """The overlay entry of an existing series (a fresh copy until :meth:`keep`)."""
        if series_id in self.series:
            return self.series[series_id]
        found = self.existing(series_id)
        assert found is not None
        i, obs = found
        return {"id": series_id, "rows": _inline_rows(self.loaded, i, obs)}

    def keep(self, series_id: str, entry: dict[str, Any]) -> None:
        """Put an existing series' entry into the overlay (once)."""
        if series_id not in self.series:
            self.series[series_id] = entry
            self.order.append(series_id)

    def new_series(self, series_id: str, entry: dict[str, Any]) -> dict[str, Any]:
        if series_id not in self.series:
            self.series[series_id] = entry
            self.order.append(series_id)
        return self.series[series_id]

    def step(self, claim: ClaimRecord, action: Action, target: str, message: str) -> None:
        self.steps.append(UseStep(claim.id, action, target, clean_text(message)))


def _check_reason() -> str:
    return (
        "figures from evidence claims that are estimates or reports, not counts: compared "
        "with the posterior predictive, not fitted (crossings evidence use --fit fits them)"
    )


def _put_row(
    b: _Builder,
    claim: ClaimRecord,
    target: SeriesTarget,
    sid: str,
) -> None:
    value, how = row_value(claim)
    counted = is_count(claim)
    note = _claim_note(claim, sid, how)
    sex = target.sex
    where = f"{target.series} {target.row.label} ({sex})"
    excluded = b.sc.calibration is not None and target.series in b.sc.calibration.exclude
    fields = target.row.fields()

    if target.new_series:
        role_fit = counted or b.fit
        entry: dict[str, Any] = {
            "id": target.series,
            "name": f"{target.name} (from the evidence base)",
            "measure": _dump(target.measure),
            "unit": "people",
            "kind": "count" if counted else "estimate",
            "role": "fit" if role_fit else "check",
        }
        if not role_fit:
            entry["reason"] = _check_reason()
        entry["sources"] = []
        entry["note"] = "added by crossings evidence use"
        entry["rows"] = []
        fresh = target.series not in b.series
        e = b.new_series(target.series, entry)
        if sid not in e["sources"]:
            e["sources"].append(sid)
        if any(_row_label(r) == target.row.label and sex in r for r in e["rows"]):
            b.step(claim, "skipped", where, f"{where} was already added from another claim")
            return
        e["rows"].append({**fields, sex: value, "sources": [sid], "note": note})
        b.step(
            claim,
            "new-series" if fresh else "added-row",
            where,
            f"new series '{target.series}' ({', '.join(target.reasons)}), row "
            f"{target.row.label} ({sex}): {how}; "
            + ("fitted" if role_fit else "held back as a check (not a count; --fit fits it)"),
        )
        return

    found = b.existing(target.series)
    assert found is not None
    _, obs = found
    # an estimate for a fitted series goes into a check series of its own, unless --fit
    if not counted and not b.fit and obs.role == "fit" and not b.replace:
        check_id = f"{target.series}_ev_check"
        entry = {
            "id": check_id,
            "name": f"{obs.name or obs.id} (evidence, held back as a check)",
            "measure": _dump(obs.measure),
            "unit": obs.unit,
            "kind": obs.kind,
            "role": "check",
            "reason": _check_reason(),
            "sources": [],
            "note": f"rows from evidence claims about '{obs.id}'",
            "rows": [],
        }
        if obs.population:
            entry["population"] = obs.population
        already = target.existing is not None
        e = b.new_series(check_id, entry)
        if sid not in e["sources"]:
            e["sources"].append(sid)
        if any(_row_label(r) == target.row.label and sex in r for r in e["rows"]):
            b.step(claim, "skipped", where, f"{where} was already added from another claim")
            return
        e["rows"].append({**fields, sex: value, "sources": [sid], "note": note})
        extra = f"; '{obs.id}' already observes it: {target.existing}" if already else ""
        b.step(
            claim,
            "new-series",
            f"{check_id} {target.row.label} ({sex})",
            f"row {target.row.label} ({sex}) of a check series '{check_id}' measuring what "
            f"'{obs.id}' measures: {how}; not a count, so held back as a check "
            f"(--fit adds it to '{obs.id}'){extra}",
        )
        return

    e = b.peek(target.series)
    rows: list[dict[str, Any]] = e["rows"]
    same = [r for r in rows if _row_label(r) == target.row.label]
    note_excl = " (the series is excluded from the fit: calibration.exclude)" if excluded else ""
    if same and sex in same[0]:
        row = same[0]
        if not b.replace:
            if not same[0].get("note", "").startswith("evidence claim") or not claim_ids_in(
                row.get("note")
            ):
                b.step(
                    claim,
                    "skipped",
                    where,
                    f"{where} is already observed ({target.existing or row[sex]}); not added "
                    f"again (--replace replaces it with the claim's {how})",
                )
            else:
                b.step(claim, "skipped", where, f"{where} was already added from another claim")
            return
        b.keep(target.series, e)
        before = row[sex]
        row[sex] = value
        row["sources"] = [sid]
        row["note"] = f"{note}; replaces {_describe(before)} as written in the scenario"
        b.step(
            claim,
            "replaced",
            where,
            f"{where}: {_describe(before)} replaced by the claim's {how}{note_excl}",
        )
        return
    b.keep(target.series, e)
    if same:
        row = same[0]
        row[sex] = value
        row["sources"] = [*(row.get("sources") or obs.sources or []), sid]
        row["note"] = "; ".join(x for x in (row.get("note"), note) if x)
        b.step(claim, "added-sex", where, f"{where}: added to the existing row: {how}{note_excl}")
        return
    rows.append({**fields, sex: value, "sources": [sid], "note": note})
    b.step(
        claim,
        "added-row",
        where,
        f"new row {target.row.label} ({sex}) of '{target.series}': {how}"
        + (" (fitted: --fit)" if not counted and obs.role == "fit" else "")
        + note_excl,
    )


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        lo, hi = value.get("low"), value.get("high")
        if lo is not None and hi is not None:
            return f"{lo:,}–{hi:,}"
        return f"at least {lo:,}" if lo is not None else f"up to {hi:,}"
    return f"{value:,}" if isinstance(value, int | float) else str(value)


def _rate_object(sc: Scenario, path: str) -> Rate | None:
    for p, obj in walk_models(sc, ()):
        if isinstance(obj, Rate) and format_path(p) == path:
            return obj
    return None


def _put_prior(b: _Builder, claim: ClaimRecord, target: ParameterTarget, sid: str) -> None:
    lo, hi, how = _rate_interval(claim)
    cal = b.sc.calibration
    unknown = next((u for u in (cal.unknowns if cal else []) if u.id == target.unknown), None)
    rate = _rate_object(b.sc, target.path)
    if unknown is not None and unknown.mode == "series":
        raise OverlayError(
            f"claim {claim.id}: the unknown '{unknown.id}' is a yearly series; a single rate "
            f"is no prior for it"
        )
    scale = unknown is not None and unknown.mode == "scale"
    if (scale or unknown is None) and (rate is None or rate.per_year is None):
        raise OverlayError(
            f"claim {claim.id}: {target.path} is not written as a rate per year, so the "
            f"claim's rate cannot become its prior"
        )
    if scale:
        assert rate is not None and rate.per_year is not None
        if rate.per_year <= 0:
            raise OverlayError(f"claim {claim.id}: {target.path} is zero; no factor prior")
        lo, hi = lo / rate.per_year, hi / rate.per_year
        how += f", as factors {lo:.3g}–{hi:.3g} on the written {rate.per_year:g} per year"
    median, sigma = _lognormal(lo, hi)
    prior: dict[str, Any] = {
        "distribution": "lognormal",
        "median": round(median, 6),
        "sigma": round(sigma, 4),
        "sources": [sid],
        "assumption": f"{how}: taken as the 5–95% interval of a lognormal"
        + (f" (sigma at least {MIN_PRIOR_SIGMA})" if sigma == MIN_PRIOR_SIGMA else ""),
        "note": _claim_note(claim, sid, "a prior"),
    }
    if unknown is not None:
        for k in ("low", "high", "mean", "sd", "a", "b", "shape", "scale"):
            if getattr(unknown.prior, k) is not None:
                prior[k] = None  # the written prior's other parameters are replaced
        uid = unknown.id
        if uid in b.unknowns:
            b.step(claim, "skipped", uid, f"the prior of '{uid}' was already set by another claim")
            return
        b.unknowns[uid] = {"id": uid, "prior": prior}
        b.step(
            claim,
            "prior",
            uid,
            f"prior of the unknown '{uid}' ({target.label}): lognormal, median {median:.3g}, "
            f"sigma {sigma:.3g}, from {how}",
        )
        return
    uid = f"ev_claim_{claim.id}"
    b.unknowns[uid] = {"id": uid, "path": target.path, "mode": "value", "prior": prior}
    b.step(
        claim,
        "new-unknown",
        uid,
        f"new unknown '{uid}' setting {target.path} ({target.label}): lognormal, median "
        f"{median:.3g} per year, sigma {sigma:.3g}, from {how}",
    )


def _pick_observation(
    store: EvidenceStore, claim: ClaimRecord, proposal: Proposal, scenario: str
) -> tuple[SeriesTarget | None, str]:
    linked = [
        (o, r)
        for sc_name, o, r, link in store.claim_observations(claim.id)
        if sc_name == scenario and link in ("confirmed", "manual")
    ]
    for t in proposal.observations:
        if (t.series, t.row.label) in linked:
            return t, "linked when accepted"
    best = proposal.best_observation
    if best is None:
        return None, ""
    if linked:
        return best, (
            f"linked to {', '.join(f'{o} {r}' for o, r in linked)}, which no longer matches; "
            f"the best match"
        )
    return best, "not linked when accepted: the best match"


def _pick_parameter(
    store: EvidenceStore, claim: ClaimRecord, proposal: Proposal, scenario: str
) -> tuple[ParameterTarget | None, str]:
    linked = {
        p
        for sc_name, p, link in store.claim_parameters(claim.id)
        if sc_name == scenario and link in ("confirmed", "manual")
    }
    for t in proposal.parameters:
        if t.path in linked:
            return t, "linked when accepted"
    best = proposal.best_parameter
    return best, "not linked when accepted: the best match" if best else ""


def use_claims(
    store: EvidenceStore,
    scenario: str,
    refs: Sequence[str | int],
    out: Path,
    *,
    fit: bool = False,
    replace: bool = False,
    name: str | None = None,
) -> UseResult:
    """Write an overlay of ``scenario`` with what the accepted claims ``refs`` say.

    Args:
        store: The evidence store.
        scenario: The base scenario: a built-in name or a YAML file.
        refs: Claim ids or keys (accepted or edited).
        out: The overlay file to write (validated before it replaces anything).
        fit: Fit rows from claims that are not counts (default: held back as checks).
        replace: Replace a row that is already observed (default: leave it, say so).
        name: The overlay scenario's name (default: ``<scenario name>-evidence``).

    Returns:
        What was written and done.

    Raises:
        OverlayError: A claim that is not accepted, has no figure, or matches
            nothing; or an overlay that does not validate.
        ScenarioError: The base scenario does not load.
        UnknownClaimError: An unknown claim id.
    """
    loaded = load_scenario(scenario)
    sc = loaded.scenario
    claims = [store.claim(r) for r in refs]
    for c in claims:
        if c.review_state not in ("accepted", "edited"):
            raise OverlayError(
                f"claim {c.id} is {c.review_state}: only accepted claims are used "
                f"(crossings evidence review --accept {c.id})"
            )
        if c.value is None or c.kind in ("date", "rule"):
            raise OverlayError(f"claim {c.id} is a {c.kind} with no figure: nothing to use")
    b = _Builder(loaded, fit, replace)
    idx = StateIndex.of(sc)
    base_sources = {sid: _dump(src) for sid, src in sc.sources.items()}
    new_sources: dict[str, Any] = {}
    for c in claims:
        proposal = match_claim(c, sc, index=idx)
        src = None if c.source_confidential else store.source(c.source_id)
        sid, entry = _source_entry(c, src)
        if sid not in base_sources:
            new_sources.setdefault(sid, entry)
        is_rate = c.kind in ("rate", "share") or c.unit.strip().lower().startswith(
            ("percent", "per ")
        )
        if is_rate:
            ptarget, why = _pick_parameter(store, c, proposal, sc.name)
            if ptarget is None:
                raise OverlayError(
                    f"claim {c.id} ({c.value_text} {c.subject}) matches no parameter of "
                    f"'{sc.name}'" + (f": {'; '.join(proposal.notes)}" if proposal.notes else "")
                )
            _put_prior(b, c, ptarget, sid)
            if why != "linked when accepted":
                b.steps[-1] = UseStep(
                    c.id, b.steps[-1].action, b.steps[-1].target, f"{b.steps[-1].message} ({why})"
                )
            continue
        target, why = _pick_observation(store, c, proposal, sc.name)
        if target is None:
            raise OverlayError(
                f"claim {c.id} ({c.value_text} {c.subject}, {c.period_text or 'no period'}) "
                f"matches no observation of '{sc.name}'"
                + (f": {'; '.join(proposal.notes)}" if proposal.notes else "")
            )
        _put_row(b, c, target, sid)
        if why != "linked when accepted":
            last = b.steps[-1]
            b.steps[-1] = UseStep(c.id, last.action, last.target, f"{last.message} ({why})")
    ext = _extends(scenario, out)
    overlay_name = name or f"{sc.name}-evidence"
    data: dict[str, Any] = {
        "extends": ext,
        "name": overlay_name,
        "title": f"{sc.title or sc.name}, with evidence claims "
        + ", ".join(str(c.id) for c in claims),
        "description": "Observations and priors from accepted claims of the evidence base "
        "(crossings evidence use); every row names its claim in its note.",
        "sources": {**base_sources, **new_sources},
    }
    if b.series:
        data["observations"] = [b.series[k] for k in b.order]
    if b.unknowns:
        data["calibration"] = {"unknowns": list(b.unknowns.values())}
    header = [
        f"# Written by 'crossings evidence use' on {dt.date.today().isoformat()}: an overlay of "
        f"'{sc.name}' with evidence claims {', '.join(str(c.id) for c in claims)}.",
        "# The sources of the base are repeated (a scenario's sources replace those it extends);",
        "# a series that gets rows repeats the rows written in the base (rows are replaced "
        "as a whole).",
        "#",
        "# What was done:",
        *[f"#   claim {s.claim_id}: {s.message}" for s in b.steps],
    ]
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    text = "\n".join(clean_text(h) for h in header) + "\n" + body
    _write_validated(out, text)
    return UseResult(out, overlay_name, ext, tuple(b.steps), text)


def _write_validated(out: Path, text: str) -> None:
    """Write the overlay next to ``out``, validate it there, then move it into place."""
    from crossings.atomic import write_text  # noqa: PLC0415

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.checking{out.suffix or '.yaml'}")
    try:
        write_text(tmp, text)
        try:
            load_scenario(tmp)
        except ScenarioError as exc:
            raise OverlayError(
                "the overlay does not validate (nothing written):\n"
                + exc.format().replace(str(tmp), str(out))
            ) from None
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
