"""Built-in evidence: a built-in scenario's sources and the figures behind them.

Which scenario (North Korea's), and the few reading rules that are facts
about its sources (grades, which sources are the counting body's tables),
are data: ``crossings/evidence/data/builtin.yaml``. Loaded idempotently into a
store by :func:`load_builtin` (``crossings evidence init``, and automatically
by :func:`~crossings.evidence.store.open_store`):

* sources: the ``sources:`` block of that scenario;
* claims, from the package data in ``crossings/evidence/data/``:
  ``mou_arrivals.csv`` (the Ministry of Unification's final yearly table: one
  claim per figure and source id), ``mou_arrivals_alternatives.csv`` (older,
  provisional and conflicting figures, as claims of their own sources),
  ``mou_arrivals_pre2002.csv`` (single years before 2002) and
  ``reference_claims.yaml`` (the other reference figures, dates and rules);
* for a cited source with no figure in the data, one ``rule`` claim with
  method ``scenario-use`` (``scenario_uses.yaml``) saying what the scenario
  uses it for: labelled as such, it is not a figure from the source;
* links from every parameter and observation row of the scenario to claims
  (:func:`link_scenario`).

How the MOU table's ``source_ids`` are read: a plain id supports the row's
total; the MOU tables themselves (``tables`` in ``builtin.yaml``) also support
its split by sex. An id
with an annotation in parentheses supports what the annotation says (``12.2%
female``, ``1145 women``, ``148+312+583=1043``, ``total only``); annotations
of provisional or initial figures are skipped here because those figures are
claims of the alternatives table.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crossings.evidence.db import Database, append_audit, get_meta, set_meta
from crossings.evidence.models import Claim, ObservationLink, ParameterLink, Source
from crossings.evidence.types import NamedPeriod, Period, parse_period
from crossings.scenario.errors import format_path
from crossings.scenario.load import LoadedScenario, builtin_path, load_scenario
from crossings.scenario.provenance import parameter_table
from crossings.scenario.schema import Observation, ObsRow, Scenario, Sourced
from crossings.scenario.schema import Source as ScenarioSource
from crossings.scenario.validate import walk_models

log = logging.getLogger(__name__)

#: Bump when the way the data files are read changes (forces a reload).
LOADER_VERSION = "1"
ACTOR = "crossings (built-in data)"
DATA_FILES = (
    "builtin.yaml",
    "mou_arrivals.csv",
    "mou_arrivals_alternatives.csv",
    "mou_arrivals_pre2002.csv",
    "reference_claims.yaml",
    "scenario_uses.yaml",
    "gazetteer.csv",
    "named_periods.yaml",
)

CONFIDENCE = {"high": 0.9, "medium": 0.6, "low": 0.3}
#: Links made by a person (by hand, or confirmed at review): kept when links are rebuilt.
KEPT_LINKS = ("manual", "confirmed")
GRADE = {"high": "B", "medium": "C", "low": "D"}
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}


@dataclass(frozen=True)
class ClaimSpec:
    """A built-in claim before it is stored."""

    key: str
    source: str
    subject: str
    value: float | None
    kind: str = "count"
    value_high: float | None = None
    qualifier: str = "exact"
    unit: str = "people"
    sex: str | None = None
    period: Period | None = None
    place: str | None = None
    attributed_to: str | None = None
    statement: str | None = None
    confidence: float = 0.6
    method: str = "table"
    note: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def identity(self) -> tuple[Any, ...]:
        """What makes two specs the same claim (for de-duplication)."""
        return (
            self.source,
            self.kind,
            self.subject,
            self.sex,
            self.value,
            self.value_high,
            self.qualifier,
            self.unit,
            self.period,
            self.place,
        )


# ----------------------------------------------------------------- data files
def _data(name: str) -> str:
    return (resources.files("crossings.evidence") / "data" / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Manifest:
    """What ``builtin.yaml`` says about the built-in evidence.

    Attributes:
        scenario: The built-in scenario the evidence is of.
        grades: Reliability grades that differ from the scenario's confidence.
        tables: Sources that are the counting body's own tables.
    """

    scenario: str
    grades: dict[str, str]
    tables: frozenset[str]


def manifest() -> Manifest:
    """Read ``builtin.yaml``.

    Raises:
        ValueError: When it lacks the scenario.
    """
    data = yaml.safe_load(_data("builtin.yaml")) or {}
    if not data.get("scenario"):
        raise ValueError("builtin.yaml: no scenario")
    return Manifest(
        scenario=str(data["scenario"]),
        grades={str(k): str(v) for k, v in (data.get("grades") or {}).items()},
        tables=frozenset(str(t) for t in data.get("tables") or ()),
    )


def builtin_scenario() -> str:
    """The name of the built-in scenario the built-in evidence is of (``north-korea``)."""
    return manifest().scenario


def _csv(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_data(name))))


def gazetteer() -> list[str]:
    """Place names shipped with the evidence base (for claim extraction)."""
    return [r["name"] for r in _csv("gazetteer.csv")]


def named_periods() -> tuple[NamedPeriod, ...]:
    """Events the built-in evidence's documents date periods from (``named_periods.yaml``).

    Passed to claim extraction: "since the pandemic began" starts on the day
    North Korea closed its border, "since the Korean War" at the armistice.

    Raises:
        ValueError: For an entry without a name, a date or valid phrases.
    """
    data = yaml.safe_load(_data("named_periods.yaml")) or {}
    out: list[NamedPeriod] = []
    for i, item in enumerate(data.get("named_periods") or (), 1):
        try:
            start = item["start"]
            out.append(
                NamedPeriod(
                    name=str(item["name"]),
                    start=start if isinstance(start, dt.date) else dt.date.fromisoformat(start),
                    phrases=tuple(str(p) for p in item["phrases"]),
                    note=str(item.get("note") or ""),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"named_periods.yaml: entry {i}: {exc}") from None
    return tuple(out)


def builtin_version(scenario_text: str) -> str:
    """A hash of the data files, the scenario and the loader version."""
    h = hashlib.sha256(LOADER_VERSION.encode())
    h.update(Path(__file__).read_bytes())  # the reading rules are part of the data
    for name in DATA_FILES:
        h.update(_data(name).encode())
    h.update(scenario_text.encode())
    return h.hexdigest()


def _scenario_text() -> str:
    return builtin_path(builtin_scenario()).read_text(encoding="utf-8")


# ----------------------------------------------------------------- periods
def row_period(label: str) -> Period | None:
    """The period of a row label of the MOU tables.

    ``~1998`` and ``until_1989`` / ``cumulative_to_2022`` are cumulative to the
    end of that year; ``1999-2001`` is a range; ``2002`` a year.
    """
    label = label.strip()
    if m := re.fullmatch(r"(?:~|until_|cumulative_to_)(\d{4})", label):
        return Period(None, dt.date(int(m.group(1)), 12, 31), "cumulative-to")
    if m := re.fullmatch(r"(\d{4})-(\d{4})", label):
        return parse_period(f"{m.group(1)}..{m.group(2)}")
    if re.fullmatch(r"\d{4}", label):
        return parse_period(label)
    return None


def _months_in_note(note: str, year: int) -> Period | None:
    m = re.search(r"\b([A-Z][a-z]{2})-([A-Z][a-z]{2})\b", note)
    if not m or m.group(1).lower() not in _MONTHS or m.group(2).lower() not in _MONTHS:
        return None
    a, b = _MONTHS[m.group(1).lower()], _MONTHS[m.group(2).lower()]
    return parse_period(f"{year}-{a:02d}..{year}-{b:02d}")


def _num(text: str | None) -> float | None:
    text = (text or "").strip().replace(",", "")
    return float(text) if text else None


# ----------------------------------------------------------------- MOU tables
_TOKEN = re.compile(r"^\s*([A-Z][A-Z0-9]*)\s*(?:\((.*)\))?\s*$")


def _sources_conf(sources: dict[str, ScenarioSource], sid: str) -> float:
    conf = sources[sid].confidence if sid in sources else None
    return CONFIDENCE.get(conf or "", 0.5)


def _final_table(sources: dict[str, ScenarioSource], tables: frozenset[str]) -> list[ClaimSpec]:
    out: list[ClaimSpec] = []
    for row in _csv("mou_arrivals.csv"):
        label = row["year"]
        period = row_period(label)
        if period is None:
            raise ValueError(f"mou_arrivals.csv: unknown row label {label!r}")
        values = {
            "total": _num(row["total"]),
            "male": _num(row["male"]),
            "female": _num(row["female"]),
        }
        note = f"final MOU table, row {label}"
        for token in row["source_ids"].split(";"):
            m = _TOKEN.match(token)
            if not m:
                continue  # "computed-from-table": no source of its own
            sid, ann = m.group(1), m.group(2)
            conf = _sources_conf(sources, sid)
            base = ClaimSpec(
                key="",
                source=sid,
                subject="arrived",
                value=None,
                period=period,
                confidence=conf,
                note=note,
            )
            fields: list[str] = []
            if ann is None or not re.search(r"\d", ann):
                fields = ["total", "male", "female"] if sid in tables else ["total"]
                if ann:
                    base = replace(base, note=f"{note} ({ann})")
            elif re.search(r"provisional|initial", ann):
                continue  # the provisional figures are claims of the alternatives table
            elif ann.startswith("total only"):
                fields = ["total"]
                base = replace(base, note=f"{note} ({ann})")
            else:
                before = len(out)
                if pm := re.search(r"([\d.]+)% female", ann):
                    pct = float(pm.group(1))
                    out.append(
                        replace(
                            base,
                            key=f"mou/{label}/share-female/{sid}",
                            kind="share",
                            sex="female",
                            value=round(pct / 100, 4),
                            unit="percent",
                            qualifier="exact" if "." in pm.group(1) else "about",
                        )
                    )
                if wm := re.fullmatch(r"(\d+) women", ann):
                    out.append(
                        replace(
                            base,
                            key=f"mou/{label}/female/{sid}",
                            sex="female",
                            value=float(wm.group(1)),
                        )
                    )
                if tm := (re.match(r"(\d+) &", ann) or re.search(r"=(\d+)$", ann)):
                    out.append(
                        replace(base, key=f"mou/{label}/total/{sid}", value=float(tm.group(1)))
                    )
                if len(out) == before:
                    raise ValueError(
                        f"mou_arrivals.csv: cannot read {token.strip()!r} (row {label})"
                    )
                continue
            for f in fields:
                if values[f] is None:
                    continue
                out.append(
                    replace(
                        base,
                        key=f"mou/{label}/{f}/{sid}",
                        value=values[f],
                        sex=None if f == "total" else f,
                    )
                )
    return out


_ALSO_IN = re.compile(r"also (\d[\d,]*) in ((?:S\d+[,\s]*)+)")
_ALSO_ID = re.compile(r"also (S\d+)\b")
_ID_ALSO = re.compile(r"\((S\d+)\) also (\d[\d,]*)")


def _alternatives(sources: dict[str, ScenarioSource]) -> list[ClaimSpec]:
    out: list[ClaimSpec] = []
    low = CONFIDENCE["low"]
    for i, row in enumerate(_csv("mou_arrivals_alternatives.csv")):
        label, kind, note = row["year"], row["kind"], row["note"] or ""
        period = row_period(label)
        if period is None:
            continue  # a warning about a whole span, no figure
        if kind == "partial year" and period.start is not None:
            period = _months_in_note(note, period.start.year) or period
        values = {
            "total": _num(row["alt_total"]),
            "male": _num(row["alt_male"]),
            "female": _num(row["alt_female"]),
        }
        text = f"{kind}: {note}" if note else kind
        for token in row["source_id"].split(";"):
            sid = token.strip()
            conf = (
                low if kind in ("typo", "unreliable compilation") else _sources_conf(sources, sid)
            )
            for f, v in values.items():
                if v is None:
                    continue
                out.append(
                    ClaimSpec(
                        key=f"mou-alt/{i}/{label}/{f}/{sid}",
                        source=sid,
                        subject="arrived",
                        value=v,
                        period=period,
                        sex=None if f == "total" else f,
                        confidence=conf,
                        note=f"alternative figure ({text})",
                        extra={"alternative": kind},
                    )
                )
        also: list[tuple[str, float]] = []
        if m := _ALSO_IN.search(note):
            also += [
                (s, float(m.group(1).replace(",", ""))) for s in re.findall(r"S\d+", m.group(2))
            ]
        if m := _ID_ALSO.search(note):
            also.append((m.group(1), float(m.group(2).replace(",", ""))))
        for m2 in _ALSO_ID.finditer(note):
            if values["total"] is not None:
                also.append((m2.group(1), values["total"]))
        for sid, v in also:
            out.append(
                ClaimSpec(
                    key=f"mou-alt/{i}/{label}/total/{sid}/also",
                    source=sid,
                    subject="arrived",
                    value=v,
                    period=period,
                    confidence=_sources_conf(sources, sid),
                    note=f"same figure reported by this source ({text})",
                    extra={"alternative": kind},
                )
            )
    return out


def _pre2002(sources: dict[str, ScenarioSource]) -> list[ClaimSpec]:
    out: list[ClaimSpec] = []
    for row in _csv("mou_arrivals_pre2002.csv"):
        label = row["year"]
        period = row_period(label)
        if period is None:
            raise ValueError(f"mou_arrivals_pre2002.csv: unknown row label {label!r}")
        values = {
            "total": _num(row["total"]),
            "male": _num(row["male"]),
            "female": _num(row["female"]),
        }
        for token in row["source_ids"].split(";"):
            sid = token.strip()
            for f, v in values.items():
                if v is None:
                    continue
                out.append(
                    ClaimSpec(
                        key=f"mou-pre2002/{label}/{f}/{sid}",
                        source=sid,
                        subject="arrived",
                        value=v,
                        period=period,
                        sex=None if f == "total" else f,
                        confidence=_sources_conf(sources, sid),
                        note=f"single-year or bucket figure before 2002 ({row['note']})",
                    )
                )
    return out


def _reference() -> list[ClaimSpec]:
    data = yaml.safe_load(_data("reference_claims.yaml"))
    out: list[ClaimSpec] = []
    for item in data["claims"]:
        value = item.get("value")
        high = item.get("high")
        out.append(
            ClaimSpec(
                key=f"ref/{item['key']}",
                source=str(item["src"]),
                subject=str(item["subject"]),
                kind=str(item.get("kind", "count")),
                value=None if value is None else float(value),
                value_high=None if high is None else float(high),
                qualifier=str(item.get("q", "exact")),
                unit=str(item.get("unit", "people")),
                sex=item.get("sex"),
                period=parse_period(str(item.get("period") or "")),
                place=item.get("place"),
                attributed_to=item.get("by"),
                statement=item.get("says"),
                confidence=CONFIDENCE[str(item.get("conf", "medium"))],
                method="reference",
                note=f"reference figures: {item.get('ref', '')}".rstrip(": "),
            )
        )
    return out


def builtin_claims(
    sources: dict[str, ScenarioSource], tables: frozenset[str] | None = None
) -> list[ClaimSpec]:
    """Every built-in figure, date and rule claim (de-duplicated, stable keys).

    Args:
        sources: The scenario's sources.
        tables: Sources that are the counting body's tables (default: ``builtin.yaml``'s).
    """
    tables = manifest().tables if tables is None else tables
    specs = (
        _final_table(sources, tables) + _alternatives(sources) + _pre2002(sources) + _reference()
    )
    seen: set[tuple[Any, ...]] = set()
    keys: set[str] = set()
    out = []
    for s in specs:
        if s.source not in sources:
            raise ValueError(f"built-in claim {s.key} cites unknown source {s.source}")
        if s.identity() in seen:
            continue
        if s.key in keys:
            raise ValueError(f"duplicate built-in claim key {s.key}")
        seen.add(s.identity())
        keys.add(s.key)
        out.append(s)
    return out


def scenario_uses() -> dict[str, str]:
    """Hand-written "what the scenario uses it for" summaries, by source id."""
    data = yaml.safe_load(_data("scenario_uses.yaml"))
    return {str(k): str(v) for k, v in (data.get("uses") or {}).items()}


def _use_spec(
    scenario: str, sid: str, src: ScenarioSource | None, uses: dict[str, str]
) -> ClaimSpec:
    text = uses.get(sid)
    if text is None:
        cite = src.citation if src is not None else sid
        text = f"Cited by the scenario; no figure from it is in the evidence base. Citation: {cite}"
        if src is not None and src.note:
            text += f" ({src.note})"
    return ClaimSpec(
        key=f"use/{scenario}/{sid}",
        source=sid,
        subject="scenario_use",
        kind="rule",
        value=None,
        statement=text,
        confidence=_sources_conf({sid: src} if src else {}, sid),
        method="scenario-use",
        note="what the scenario uses this source for (our summary); "
        "not a figure reported by the source",
    )


# ----------------------------------------------------------------- storing
def _grade(sid: str, src: ScenarioSource, grades: dict[str, str]) -> str:
    return grades.get(sid) or GRADE.get(src.confidence or "", "F")


def _date(value: str | dt.date | None) -> tuple[dt.date | None, str | None]:
    if value is None:
        return None, None
    if isinstance(value, dt.date):
        return value, value.isoformat()
    try:
        return dt.date.fromisoformat(value), value
    except ValueError:
        return None, value


def upsert_scenario_source(
    session: Session,
    sid: str,
    src: ScenarioSource,
    origin: str,
    grades: dict[str, str] | None = None,
) -> bool:
    """Add or refresh a source from a scenario's ``sources`` block.

    Args:
        session: The write transaction.
        sid: The source id.
        src: The scenario's source.
        origin: ``builtin:NAME`` or ``scenario:NAME``.
        grades: Grades that differ from the source's confidence (the built-in
            evidence's ``builtin.yaml``; none for other scenarios).

    Returns:
        Whether the row changed.
    """
    published, date_text = _date(src.date)
    values: dict[str, Any] = {
        "citation": src.citation,
        "publisher": src.publisher,
        "url": src.url,
        "published": published,
        "date_text": date_text,
        "confidence": src.confidence,
        "reliability": _grade(sid, src, grades or {}),
        "note": src.note,
        "origin": origin,
    }
    row = session.get(Source, sid)
    if row is None:
        session.add(Source(id=sid, confidential=False, **values))
        return True
    if row.origin == "ingested":
        return False  # never overwrite an ingested document's metadata
    changed = False
    for k, v in values.items():
        if getattr(row, k) != v:
            setattr(row, k, v)
            changed = True
    return changed


_SPEC_FIELDS = (
    "source_id",
    "kind",
    "value",
    "value_high",
    "qualifier",
    "unit",
    "subject",
    "sex",
    "period_start",
    "period_end",
    "granularity",
    "place",
    "attributed_to",
    "statement",
    "confidence",
    "method",
    "note",
    "extra",
)


def _spec_values(spec: ClaimSpec) -> dict[str, Any]:
    p = spec.period
    return {
        "source_id": spec.source,
        "kind": spec.kind,
        "value": spec.value,
        "value_high": spec.value_high,
        "qualifier": spec.qualifier,
        "unit": spec.unit,
        "subject": spec.subject,
        "sex": spec.sex,
        "period_start": p.start if p else None,
        "period_end": p.end if p else None,
        "granularity": p.granularity if p else None,
        "place": spec.place,
        "attributed_to": spec.attributed_to,
        "statement": spec.statement,
        "confidence": spec.confidence,
        "method": spec.method,
        "note": spec.note,
        "extra": dict(spec.extra) or None,
    }


def upsert_claims(session: Session, specs: Iterable[ClaimSpec], *, version: str) -> tuple[int, int]:
    """Insert new built-in claims and refresh changed ones (by key).

    Claims a user has edited or rejected keep the user's decision.

    Returns:
        (added, updated) counts.
    """
    existing = {c.key: c for c in session.scalars(select(Claim))}
    added = updated = 0
    for spec in specs:
        values = _spec_values(spec)
        row = existing.get(spec.key)
        if row is None:
            session.add(
                Claim(key=spec.key, review_state="accepted", method_version=version, **values)
            )
            added += 1
            continue
        if row.review_state in ("edited", "rejected"):
            continue
        if any(getattr(row, k) != values[k] for k in _SPEC_FIELDS):
            for k in _SPEC_FIELDS:
                setattr(row, k, values[k])
            row.method_version = version
            updated += 1
    return added, updated


def load_builtin(store: Database, *, force: bool = False) -> bool:
    """Load the built-in evidence into a store, once per data version.

    The version is read again inside the write transaction, so when two
    processes find the store outdated at once, the second loads nothing.

    Args:
        store: The store.
        force: Reload even when the stored version is current.

    Returns:
        Whether anything was (re)loaded.
    """
    text = _scenario_text()
    version = builtin_version(text)
    if not force and store.get_meta("builtin_version") == version:
        return False
    info = manifest()
    loaded = load_scenario(info.scenario)
    sc = loaded.scenario
    specs = builtin_claims(sc.sources, info.tables)
    with_figures = {s.source for s in specs}
    uses = scenario_uses()
    cited = _cited_sources(sc)
    specs += [
        _use_spec(sc.name, sid, sc.sources.get(sid), uses) for sid in sorted(cited - with_figures)
    ]
    short = version[:12]

    def work(session: Session) -> tuple[int, int] | None:
        if not force and get_meta(session, "builtin_version") == version:
            return None  # another process loaded it meanwhile
        origin = f"builtin:{sc.name}"
        n_src = sum(
            upsert_scenario_source(session, sid, src, origin, info.grades)
            for sid, src in sc.sources.items()
        )
        session.flush()
        added, updated = upsert_claims(session, specs, version=short)
        keys = {s.key for s in specs}
        withdrawn = 0
        for c in session.scalars(select(Claim).where(Claim.method.in_(("table", "reference")))):
            if c.key not in keys and c.review_state != "rejected":
                c.review_state = "rejected"
                c.note = "withdrawn from the built-in data"
                withdrawn += 1
        session.flush()
        n_links = link_scenario_in(session, loaded)
        append_audit(
            session,
            actor=ACTOR,
            action="load-builtin",
            after={
                "version": short,
                "sources_changed": n_src,
                "claims_added": added,
                "claims_updated": updated,
                "claims_withdrawn": withdrawn,
                "parameter_links": n_links[0],
                "observation_links": n_links[1],
            },
        )
        set_meta(session, "builtin_version", version)
        return added, updated

    counts = store.write(work)
    if counts is None:
        return False
    log.info("built-in evidence loaded: %d claims added, %d updated", *counts)
    return True


# ----------------------------------------------------------------- links
_PARAM_HINTS: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (pattern, frozenset(subjects))
    for pattern, subjects in (
        (r"\.origins$", {"origin", "arrived_with_origin"}),
        (r"^people\.age_bands$", {"arrived_age_*", "arrived_with_age"}),
        (r"^people\.flags", {"hiding", "trafficked"}),
        (r"^delegations\[\d+\]\.(size|female_share)$", {"athletes", "delegation_officials"}),
        (r"^delegations\[\d+\]\.(surveillance|defection_probability)$", {"athlete_defections"}),
        (r"^delegations\[\d+\]\.on_return$", {"medals_*", "delegation_punishment"}),
        (r"^detention\[\d+\]\.waves\[\d+\]$", {"repatriated"}),
        (r"^detention\[\d+\]\.to$", {"repatriated_interviewees", "repatriation_point"}),
        (
            r"^detention\[\d+\]\.rate$",
            {
                "detained",
                "repatriated",
                "repatriation_process",
                "deportation_days",
                "investigation_months",
            },
        ),
        (r"^inflows\[\d+\]\.initial$", {"hiding", "prisoners"}),
        (
            r"^inflows\[\d+\]\.rate$",
            {
                "arrived_direct",
                "laborers",
                "asylum_*",
                "temporary_asylum_applications",
                "deportation_days",
            },
        ),
        (
            r"^states\[\d+\]\.duration$",
            {"quarantine_days", "interrogation_days", "investigation_months"},
        ),
        (r"^states\[\d+\]\.hazards", {"camp_conditions", "repatriation_process"}),
        (
            r"^transitions\.\w+\[\d+\]\.rate$",
            {
                "caught_share",
                "hiding",
                "trafficked",
                "repatriated",
                "laborers",
                "asylum_*",
                "deportation_days",
            },
        ),
        (r"^routes\[\d+\]", {"caught_share", "transit"}),
        (
            r"^sentences\[\d+\]",
            {
                "sentence_years",
                "sentenced",
                "prisoners",
                "sentencing",
                "camp_conditions",
                "delegation_punishment",
                "detention_system",
                "repatriation_process",
            },
        ),
        (
            r"^classification\.",
            {
                "sentencing",
                "sentenced",
                "repatriation_process",
                "detention_system",
                "sentence_years",
            },
        ),
        (r"^reclassifications\[\d+\]", {"sentenced"}),
        (r"^families\.", {"family_punishment", "sentenced"}),
        (
            r"^policies\[\d+\](\.effects\[\d+\]\.factor)?$",
            {
                "arrived",
                "broker_fee*",
                "border_control",
                "repatriated",
                "detained",
                "event",
                "sentenced",
                "sentence_years",
                "repatriation_point",
            },
        ),
    )
)

_SERIES_HINTS: tuple[tuple[str, frozenset[str]], ...] = (
    (r"direct", frozenset({"arrived_direct"})),
    (r"arriv", frozenset({"arrived"})),
    (r"^wave|repatriat", frozenset({"repatriated"})),
    (r"detain", frozenset({"detained"})),
    (r"kwanliso|camp|prison", frozenset({"prisoners"})),
    (r"hiding", frozenset({"hiding"})),
)


def _subject_matches(subject: str, hints: frozenset[str]) -> bool:
    return any(subject == h or (h.endswith("*") and subject.startswith(h[:-1])) for h in hints)


def _series_subjects(obs: Observation) -> frozenset[str] | None:
    for pattern, subjects in _SERIES_HINTS:
        if re.search(pattern, obs.id):
            return subjects
    return None


def _param_subjects(path: str, obj: object) -> frozenset[str] | None:
    if isinstance(obj, Observation):
        return _series_subjects(obj)
    for pattern, subjects in _PARAM_HINTS:
        if re.search(pattern, path):
            return subjects
    return None


def _cited_sources(sc: Scenario) -> set[str]:
    cited = {s for r in parameter_table(sc) for s in r.sources}
    for obs in sc.observations:
        for row in obs.rows:
            cited.update(row.sources or ())
    return cited


@dataclass(frozen=True)
class _Context:
    """Where and when a parameter applies (from it and its enclosing objects)."""

    day: dt.date | None = None
    window: tuple[dt.date, dt.date] | None = None
    places: frozenset[str] = frozenset()


def _context(
    path: tuple[str | int, ...], objects: dict[tuple[str | int, ...], object], sc: Scenario
) -> _Context:
    names = {p.id: (p.name or p.id) for p in sc.places}
    for n in range(len(path), 0, -1):
        obj = objects.get(path[:n])
        if obj is None:
            continue
        day = getattr(obj, "date", None)
        if isinstance(day, dt.date) and not isinstance(obj, Observation):
            return _Context(day=day)
        start = getattr(obj, "from_", None) or getattr(obj, "depart", None)
        if isinstance(start, dt.date):
            end = getattr(obj, "to", None) or getattr(obj, "return_", None) or start
            end = end if isinstance(end, dt.date) else start
            place = getattr(obj, "place", None)
            places: frozenset[str] = frozenset()
            if isinstance(place, str):
                name = names.get(place, place)
                places = frozenset(
                    {place.lower(), name.lower(), name.split("(")[0].strip().lower()}
                )
            return _Context(
                window=(dt.date(start.year - 1, 1, 1), dt.date(end.year + 1, 12, 31)), places=places
            )
    return _Context()


def _contains(c: Claim, day: dt.date) -> bool:
    lo = c.period_start or dt.date.min
    hi = c.period_end or dt.date.max
    return c.period_end is not None and lo <= day <= hi


def _overlaps(c: Claim, window: tuple[dt.date, dt.date]) -> bool:
    if c.period_end is None:
        return False
    lo = c.period_start or c.period_end
    return lo <= window[1] and c.period_end >= window[0]


def _narrow(claims: list[Claim], ctx: _Context) -> list[Claim]:
    """Keep the claims about the parameter's date, window and place, when any are."""
    if ctx.places:
        here = [c for c in claims if (c.place or "").lower() in ctx.places]
        claims = here or claims
    if ctx.day is not None:
        return [c for c in claims if _contains(c, ctx.day)] or claims
    if ctx.window is not None:
        return [c for c in claims if _overlaps(c, ctx.window)] or claims
    return claims


def _row_key(row: ObsRow) -> tuple[str, Period]:
    if row.year is not None:
        p = parse_period(str(row.year))
        assert p is not None
        return str(row.year), p
    if row.years is not None:
        p = parse_period(f"{row.years[0]}..{row.years[1]}")
        assert p is not None
        return f"{row.years[0]}-{row.years[1]}", p
    assert row.date is not None
    return row.date.isoformat(), Period(row.date, row.date, "day")


def _row_matches(c: Claim, period: Period) -> bool:
    if period.granularity == "day":
        assert period.start is not None
        return _contains(c, period.start)
    return (c.period_start, c.period_end) == (period.start, period.end)


def link_scenario_in(
    session: Session, loaded: LoadedScenario, uses: dict[str, str] | None = None
) -> tuple[int, int]:
    """(Re)link every parameter and observation row of a scenario to claims.

    Every source the scenario cites is made sure to exist (from the
    scenario's ``sources`` block) with at least one claim (a ``scenario-use``
    rule claim when it has no figure). Links of the scenario are replaced,
    except those a person made (:data:`KEPT_LINKS`: by hand, or confirmed
    when a claim was accepted).

    Returns:
        (parameter links, observation links) written.
    """
    sc = loaded.scenario
    name = sc.name
    if uses is None:
        uses = scenario_uses() if name == builtin_scenario() else {}
    grades = manifest().grades if name == builtin_scenario() else {}
    session.execute(
        delete(ParameterLink).where(
            ParameterLink.scenario == name, ParameterLink.link.not_in(KEPT_LINKS)
        )
    )
    manual = set(
        session.execute(
            select(ParameterLink.path, ParameterLink.claim_id).where(ParameterLink.scenario == name)
        )
    )
    session.execute(
        delete(ObservationLink).where(
            ObservationLink.scenario == name, ObservationLink.link.not_in(KEPT_LINKS)
        )
    )
    kept_rows = set(
        session.execute(
            select(
                ObservationLink.observation, ObservationLink.row, ObservationLink.claim_id
            ).where(ObservationLink.scenario == name)
        )
    )
    cited = _cited_sources(sc)
    known = set(session.scalars(select(Source.id)))
    for sid in sorted(cited - known):  # a validated scenario defines every source it cites
        upsert_scenario_source(session, sid, sc.sources[sid], f"scenario:{name}", grades)
    session.flush()
    by_source: dict[str, list[Claim]] = {}
    for c in session.scalars(
        select(Claim).where(Claim.review_state != "rejected").order_by(Claim.id)
    ):
        by_source.setdefault(c.source_id, []).append(c)
    missing = sorted(sid for sid in cited if not by_source.get(sid))
    if missing:
        upsert_claims(
            session,
            [_use_spec(name, sid, sc.sources.get(sid), uses) for sid in missing],
            version=LOADER_VERSION,
        )
        session.flush()
        for sid in missing:
            by_source[sid] = list(
                session.scalars(
                    select(Claim).where(Claim.source_id == sid, Claim.review_state != "rejected")
                )
            )

    objects: dict[tuple[str | int, ...], object] = dict(
        (tuple(p), o) for p, o in walk_models(sc, ())
    )
    by_text = {format_path(p): p for p, o in objects.items() if isinstance(o, Sourced)}
    plinks: set[tuple[str, int, str]] = set()
    for prow in parameter_table(sc):
        path = by_text[prow.path]
        obj = objects[path]
        hints = _param_subjects(prow.path, obj)
        ctx = _context(path, objects, sc)
        for sid in prow.sources:
            claims = by_source.get(sid, [])
            matched = [
                c
                for c in claims
                if hints is not None
                and c.method != "scenario-use"
                and _subject_matches(c.subject, hints)
            ]
            if matched and isinstance(obj, Observation):
                periods = [_row_key(r)[1] for r in obj.rows]
                matched = [
                    c for c in matched if any(_row_matches(c, p) for p in periods)
                ] or matched
            elif matched:
                matched = _narrow(matched, ctx)
            if matched:
                plinks.update((prow.path, c.id, "subject-match") for c in matched)
            else:
                plinks.update(
                    (
                        prow.path,
                        c.id,
                        "scenario-use" if c.method == "scenario-use" else "cites-source",
                    )
                    for c in claims
                )
    session.add_all(
        ParameterLink(scenario=name, path=p, claim_id=cid, link=link)
        for p, cid, link in sorted(plinks)
        if (p, cid) not in manual
    )

    olinks: set[tuple[str, str, int, str]] = set()
    for obs in sc.observations:
        subjects = _series_subjects(obs)
        for row in obs.rows:
            key, period = _row_key(row)
            for sid in row.sources or obs.sources or ():
                claims = [
                    c
                    for c in by_source.get(sid, [])
                    if subjects is None or _subject_matches(c.subject, subjects)
                ]
                hit = [c for c in claims if _row_matches(c, period)]
                link = "subject-match"
                if not hit:
                    hit, link = (claims or by_source.get(sid, [])), "cites-source"
                olinks.update((obs.id, key, c.id, link) for c in hit)
    session.add_all(
        ObservationLink(scenario=name, observation=o, row=r, claim_id=cid, link=link)
        for o, r, cid, link in sorted(olinks)
        if (o, r, cid) not in kept_rows
    )
    set_meta(session, f"links:{name}", loaded.sha256)
    return len(plinks), len(olinks)


def link_scenario(store: Database, loaded: LoadedScenario, *, force: bool = False) -> bool:
    """Link a scenario's parameters to claims, unless already linked for this version.

    Returns:
        Whether links were (re)written.
    """
    key = f"links:{loaded.scenario.name}"
    if not force and store.get_meta(key) == loaded.sha256:
        return False

    def work(session: Session) -> bool:
        if not force and get_meta(session, key) == loaded.sha256:
            return False  # another process linked it meanwhile
        link_scenario_in(session, loaded)
        return True

    return store.write(work)


def scenario_place_names(sc: Scenario) -> list[str]:
    """Place names of a scenario, with their parenthesised parts split off."""
    out: list[str] = []
    for p in sc.places:
        name = p.name or p.id
        out.append(name)
        head, _, rest = name.partition("(")
        if rest:
            out.extend(x.strip() for x in (head, rest.rstrip(")")) if x.strip())
    return list(dict.fromkeys(out))


def extraction_places(extra: Sequence[str] = ()) -> list[str]:
    """Places passed to claim extraction: the built-in scenario's and the gazetteer's."""
    names = scenario_place_names(load_scenario(builtin_scenario()).scenario)
    return list(dict.fromkeys([*extra, *names, *gazetteer()]))


__all__ = [
    "ClaimSpec",
    "Manifest",
    "builtin_claims",
    "builtin_scenario",
    "builtin_version",
    "extraction_places",
    "gazetteer",
    "link_scenario",
    "link_scenario_in",
    "load_builtin",
    "manifest",
    "named_periods",
    "row_period",
    "scenario_uses",
]
