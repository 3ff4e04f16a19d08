"""Which parameters and observation rows of a scenario a claim is about.

A claim says *what* it counts (its subject: arrivals, arrests, people held,
people hiding, prisoners, deaths, …), *when* (a year, a range of years, a day,
a stock "as of" a date), *where* and *for whom* (sex). A scenario says what
each observation series measures (entries into, or the stock of, some states;
a flow; a wave) and what each parameter is (a rate of moving from one state
to another). :func:`match_claim` reads both and proposes targets:

* **observation rows**: an existing series whose measured states all have the
  kind the subject counts (:data:`SENSES`), measured the same way (a stock for
  "people held", entries for "arrivals"), at a row of the claim's period
  (:func:`row_for`), for the claim's sex, at a place that does not contradict
  the claim's; or, when no series measures it, a new series with that measure;
* **parameters**: for a rate or share ("10–20% of those hiding are arrested
  each year"), the rates of moves into states of that kind, a calibration
  unknown first (its prior is what such a claim informs).

Every target carries its score and the reasons, shown to the reviewer for
confirmation (``crossings evidence review``), and used by ``crossings
evidence use``. Nothing here writes to the store.

What each state "is" comes from the scenario's structure, not from its ids:
a state's ``kind`` (``hiding``, ``detained``, ``arrived``, ``dead``, …),
detention queues (people held by a foreign state awaiting return), where
queues send people (repatriation), and sentences by kind (camps and prisons).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from crossings.evidence.conflicts import IMPLIED_PLACES
from crossings.evidence.records import ClaimRecord
from crossings.evidence.types import Period
from crossings.scenario.errors import format_path
from crossings.scenario.provenance import parameter_table
from crossings.scenario.schema import (
    Hazard,
    Measure,
    ObsRow,
    Range,
    Scenario,
    Shares,
)
from crossings.scenario.validate import walk_models

__all__ = [
    "SENSES",
    "ParameterTarget",
    "Proposal",
    "RowKey",
    "Sense",
    "SeriesTarget",
    "StateIndex",
    "match_claim",
    "row_for",
]

How = Literal["stock", "flow"]


@dataclass(frozen=True)
class Sense:
    """One reading of a claim subject: what it counts in a scenario.

    Attributes:
        how: ``stock`` (people present: held, hiding, imprisoned) or ``flow``
            (moves per period: arrivals, arrests, repatriations, deaths).
        categories: What the measured states must be (see :class:`StateIndex`).
        words: What the subject is called in messages.
    """

    how: How
    categories: frozenset[str]
    words: str


def _s(how: How, cats: Iterable[str], words: str) -> Sense:
    return Sense(how, frozenset(cats), words)


#: Claim subject → the ways it can be read (the first is the usual one).
#: Categories: a state's ``kind`` (``hiding``, ``arrived``, ``dead``,
#: ``crossing``, …), ``held`` (detention queues and states of kind
#: ``detained``), ``repatriation`` (where detention queues send people),
#: ``prison`` (sentences to camps and prisons, states of kind ``sentence``),
#: ``execution`` (execution sentences).
SENSES: dict[str, tuple[Sense, ...]] = {
    "arrived": (_s("flow", {"arrived"}, "arrivals"),),
    "arrived_direct": (_s("flow", {"arrived"}, "direct arrivals"),),
    "escaped": (_s("flow", {"crossing"}, "people crossing out"),),
    "repatriated": (_s("flow", {"repatriation"}, "people sent back"),),
    "detained": (
        _s("stock", {"held"}, "people held in detention"),
        _s("flow", {"held"}, "arrests"),
    ),
    "arrested": (_s("flow", {"held"}, "arrests"),),
    "hiding": (_s("stock", {"hiding"}, "people in hiding"),),
    "imprisoned": (_s("stock", {"prison"}, "prisoners"),),
    "prisoners": (_s("stock", {"prison"}, "prisoners"),),
    "sentenced": (_s("flow", {"prison", "execution"}, "people sentenced"),),
    "died": (_s("flow", {"dead"}, "deaths"),),
    "executed": (_s("flow", {"execution", "dead"}, "executions"),),
}

#: Words in a quote that say a "detained" claim counts people held (a stock).
_HELD_WORDS = re.compile(
    r"\b(?:held|in\s+(?:\w+\s+)?(?:detention|custody)|detainees|remain(?:s|ed)?\s+detained|"
    r"behind\s+bars|awaiting)\b",
    re.IGNORECASE,
)
#: Words that say it counts arrests (a flow).
_ARREST_WORDS = re.compile(
    r"\b(?:arrest(?:s|ed|ing)?|caught|apprehend(?:ed|s)?|captured|rounded\s+up)\b", re.IGNORECASE
)
_PRISON_KINDS = frozenset({"political_camp", "long_term_prison", "labour_camp"})
_SEX_COLUMN = {None: "total", "female": "female", "male": "male"}


# --------------------------------------------------------------------------- the scenario
@dataclass(frozen=True)
class StateIndex:
    """What each state of a scenario is, where it is, and the scenario's places.

    Attributes:
        categories: State id → its categories (see :data:`SENSES`).
        places: State id → names of its place (id, name, its parts, country), lower case.
        known_places: Every place name of the scenario (lower case).
        span: First and last day simulated.
    """

    categories: dict[str, frozenset[str]]
    places: dict[str, frozenset[str]]
    known_places: frozenset[str]
    span: tuple[dt.date, dt.date]

    @classmethod
    def of(cls, sc: Scenario) -> StateIndex:
        """Index a scenario."""
        names: dict[str, frozenset[str]] = {}
        for p in sc.places:
            words = {p.id.lower(), p.id.replace("_", " ").lower()}
            if p.name:
                head, _, rest = p.name.partition("(")
                words |= {p.name.lower(), head.strip().lower(), rest.rstrip(")").strip().lower()}
            if p.country:
                words.add(p.country.lower())
            names[p.id] = frozenset(w for w in words if w)
        cats: dict[str, set[str]] = {}
        where: dict[str, frozenset[str]] = {}
        for st in sc.states:
            c: set[str] = {str(st.kind)}
            if st.kind == "detained":
                c.add("held")
            if st.kind == "sentence":
                c.add("prison")
            cats[st.id] = c
            where[st.id] = names.get(st.place or "", frozenset())
        for q in sc.detention:
            cats.setdefault(q.id, set()).update({"held", "detention"})
            where[q.id] = names.get(q.place or "", frozenset())
            for target in _targets(q.to):
                cats.setdefault(target, set()).add("repatriation")
        for s in sc.sentences:
            c = cats.setdefault(s.id, {"sentence"})
            if s.kind in _PRISON_KINDS:
                c.add("prison")
            if s.kind == "execution":
                c.add("execution")
            where[s.id] = names.get(s.place or "", frozenset())
        for r in sc.routes:
            cats.setdefault(r.id, {"route"})
            where[r.id] = names.get(r.place or "", frozenset())
        known = frozenset(w for ws in names.values() for w in ws)
        return cls(
            {k: frozenset(v) for k, v in cats.items()},
            where,
            known,
            (sc.time.start, sc.time.end),
        )

    def are(self, states: Iterable[str], categories: frozenset[str]) -> bool:
        """Whether every state is of one of the categories (and there is one)."""
        states = list(states)
        return bool(states) and all(
            self.categories.get(s, frozenset()) & categories for s in states
        )

    def where(self, states: Iterable[str]) -> frozenset[str]:
        """Every place name of the states."""
        return frozenset(w for s in states for w in self.places.get(s, frozenset()))


def _targets(target: str | Shares | None) -> list[str]:
    if target is None:
        return []
    if isinstance(target, str):
        return [target]
    return list(target.values)


def _measured(m: Measure) -> tuple[How | Literal["wave", "family"], list[str]]:
    """How a measure counts (stock, flow, wave, family) and which states."""
    if m.stock is not None:
        return "stock", list(m.stock)
    if m.entries is not None:
        return "flow", list(m.entries)
    if m.flow is not None:
        return "flow", [m.flow["to"]]
    if m.wave is not None:
        return "wave", []
    return "family", list(m.family or [])


# --------------------------------------------------------------------------- rows
@dataclass(frozen=True)
class RowKey:
    """Where a claim's figure goes in a series: a year, years or a date.

    Attributes:
        label: The row label (``2023``, ``1999-2001``, ``2023-06-30``), as
            observation links and results name rows.
        year: For a yearly row.
        years: For a bucket of years.
        date: For a dated stock (or a wave).
    """

    label: str
    year: int | None = None
    years: tuple[int, int] | None = None
    date: dt.date | None = None

    def fields(self) -> dict[str, object]:
        """The row's ``year`` / ``years`` / ``date`` as scenario fields."""
        if self.year is not None:
            return {"year": self.year}
        if self.years is not None:
            return {"years": [self.years[0], self.years[1]]}
        return {"date": self.date}

    def last_day(self) -> dt.date:
        """The last day the row covers."""
        if self.date is not None:
            return self.date
        y = self.year if self.year is not None else (self.years or (0, 0))[1]
        return dt.date(y, 12, 31)

    def first_day(self) -> dt.date:
        """The first day the row covers."""
        if self.date is not None:
            return self.date
        y = self.year if self.year is not None else (self.years or (0, 0))[0]
        return dt.date(y, 1, 1)


def _whole_years(p: Period) -> tuple[int, int] | None:
    if p.start is None or p.end is None:
        return None
    if (p.start.month, p.start.day, p.end.month, p.end.day) != (1, 1, 12, 31):
        return None
    return p.start.year, p.end.year


def row_key_of(row: ObsRow) -> RowKey:
    """The key of an existing observation row."""
    if row.year is not None:
        return RowKey(str(row.year), year=row.year)
    if row.years is not None:
        return RowKey(f"{row.years[0]}-{row.years[1]}", years=(row.years[0], row.years[1]))
    assert row.date is not None
    return RowKey(row.date.isoformat(), date=row.date)


def row_for(period: Period | None, how: How | Literal["wave"]) -> tuple[RowKey | None, str]:
    """The row a claim's period makes in a series measured as ``how``.

    A stock is measured on a day: a day is that day, a month, quarter or
    half-year its last day (people held "in June 2023" → 2023-06-30), a year
    its 31 December (the year row), "as of" a day that day. A flow is counted
    over whole years: a year, or a range of whole years (a bucket); a part of a
    year, or a total from an unknown start, is no row of a yearly series. A
    wave is a day.

    Returns:
        The row (or ``None``) and why (or why not), in words.
    """
    if period is None or period.end is None:
        return None, "the claim states no period"
    start, end = period.start, period.end
    years = _whole_years(period)
    if how == "stock":
        if years is not None and years[0] == years[1] and period.granularity != "cumulative-to":
            return RowKey(str(years[0]), year=years[0]), f"the stock at the end of {years[0]}"
        if period.granularity == "cumulative-to" or start == end:
            return RowKey(end.isoformat(), date=end), f"the stock on {end.isoformat()}"
        if start is not None and (end - start).days <= 190:
            return RowKey(end.isoformat(), date=end), (
                f"the stock at the end of {start.isoformat()}..{end.isoformat()}"
            )
        return None, "a stock over a long period is no single row"
    if how == "wave":
        if start is not None and start == end:
            return RowKey(end.isoformat(), date=end), f"the wave of {end.isoformat()}"
        return None, "a wave is one day"
    if period.granularity == "cumulative-to" and start is None:
        return None, (
            f"a cumulative total up to {end.isoformat()} from an unknown start is no yearly flow"
        )
    if years is None:
        return None, "a part of a year is no row of a yearly series"
    if years[0] == years[1]:
        return RowKey(str(years[0]), year=years[0]), f"the year {years[0]}"
    return RowKey(f"{years[0]}-{years[1]}", years=years), f"the years {years[0]}–{years[1]}"


# --------------------------------------------------------------------------- targets
@dataclass(frozen=True)
class SeriesTarget:
    """An observation row a claim is about.

    Attributes:
        series: The observation id (a proposed id for a new series).
        name: The series' name.
        row: Where in the series.
        sex: ``total``, ``female`` or ``male``.
        new_series: The scenario has no such series yet.
        existing: What the row already holds for that sex (text), if anything.
        measure: What the series measures.
        sense: How the claim was read.
        score: Higher is a better match.
        reasons: Why it matches, in words.
    """

    series: str
    name: str
    row: RowKey
    sex: str
    new_series: bool
    existing: str | None
    measure: Measure
    sense: Sense
    score: float
    reasons: tuple[str, ...]

    def describe(self) -> str:
        """One line: ``series 'arrivals' row 2023 (total)``."""
        what = "new series" if self.new_series else "series"
        text = f"{what} '{self.series}' row {self.row.label} ({self.sex})"
        if self.existing is not None:
            text += f", already observed: {self.existing}"
        return text


@dataclass(frozen=True)
class ParameterTarget:
    """A parameter a rate or share claim is about.

    Attributes:
        path: The parameter's field path (``transitions.hiding[1].rate``).
        label: The parameter in the scenario's words.
        value: Its value as written.
        unknown: The calibration unknown that sets it, if any.
        from_states: The states people move from.
        to_states: The states people move to.
        score: Higher is a better match.
        reasons: Why it matches.
    """

    path: str
    label: str
    value: str
    unknown: str | None
    from_states: tuple[str, ...]
    to_states: tuple[str, ...]
    score: float
    reasons: tuple[str, ...]

    def describe(self) -> str:
        """One line: ``parameter transitions.hiding[1].rate (label), unknown 'x'``."""
        text = f"parameter {self.path} ({self.label}; {self.value})"
        if self.unknown:
            text += f", calibration unknown '{self.unknown}'"
        return text


@dataclass(frozen=True)
class Proposal:
    """What a claim is about in a scenario, best first.

    Attributes:
        claim_id: The claim.
        scenario: The scenario's name.
        observations: Observation rows, best first.
        parameters: Parameters, best first.
        notes: Why other readings were left out.
    """

    claim_id: int
    scenario: str
    observations: tuple[SeriesTarget, ...] = ()
    parameters: tuple[ParameterTarget, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def best_observation(self) -> SeriesTarget | None:
        """The best observation row, if any."""
        return self.observations[0] if self.observations else None

    @property
    def best_parameter(self) -> ParameterTarget | None:
        """The best parameter, if any."""
        return self.parameters[0] if self.parameters else None

    @property
    def empty(self) -> bool:
        """Nothing matches."""
        return not self.observations and not self.parameters


def _fmt(v: float | Range | None) -> str | None:
    if v is None:
        return None
    if isinstance(v, Range):
        if v.low is not None and v.high is not None:
            return f"{v.low:,.0f}–{v.high:,.0f}"
        return f"at least {v.low:,.0f}" if v.low is not None else f"up to {v.high:,.0f}"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.4g}"


def _claim_place(claim: ClaimRecord) -> str:
    place = (claim.place or "").strip().lower()
    if place in IMPLIED_PLACES.get(claim.subject, frozenset()):
        return ""
    return place


def _place_verdict(
    claim: ClaimRecord, idx: StateIndex, states: Sequence[str]
) -> tuple[float, str | None, bool]:
    """(score, reason, excluded) of a claim's place against the measured states."""
    place = _claim_place(claim)
    if not place:
        return 0.0, None, False
    here = idx.where(states)
    if place in here:
        return 0.5, f"place '{claim.place}' is where the series counts", False
    if place in idx.known_places:
        return 0.0, f"place '{claim.place}' is not where this series counts", True
    return -0.25, f"place '{claim.place}' is not one of the scenario's places", False


def _in_span(key: RowKey, idx: StateIndex) -> bool:
    return idx.span[0] <= key.first_day() and key.last_day() <= idx.span[1]


def _senses(claim: ClaimRecord) -> tuple[Sense, ...]:
    senses = SENSES.get(claim.subject.strip().lower(), ())
    if claim.subject == "detained" and len(senses) == 2:
        quote = claim.quote or ""
        held, arrested = bool(_HELD_WORDS.search(quote)), bool(_ARREST_WORDS.search(quote))
        p = claim.period
        short = (
            p is not None
            and p.start is not None
            and p.end is not None
            and (p.end - p.start).days < 300
        )
        if arrested and not held and not short:
            return (senses[1],)  # "1,500 were arrested in 2017": arrests only
        if held and not arrested:
            return (senses[0],)  # "held in detention": people held only
    return senses


def _series_name(sense: Sense, place: str) -> str:
    return sense.words[0].upper() + sense.words[1:] + (f" in {place}" if place else "")


def _one_population(sc: Scenario, states: list[str]) -> tuple[list[str], str | None]:
    """The states of one top-level population (a series counts one): the headline's first."""
    from crossings.scenario.populations import resolve_populations, top_level_of  # noqa: PLC0415

    where = top_level_of(sc)
    groups: dict[str, list[str]] = {}
    for st in states:
        groups.setdefault(where.get(st, ""), []).append(st)
    if len(groups) <= 1:
        return states, None
    headline = next((p.id for p in resolve_populations(sc) if p.headline), "")
    pick = headline if headline in groups else max(groups, key=lambda g: len(groups[g]))
    return groups[pick], f"only the states of the population '{pick}' (a series counts one)"


def _new_series_id(claim: ClaimRecord, sense: Sense) -> str:
    subject = re.sub(r"[^a-z0-9_]", "_", claim.subject.lower()) or "claim"
    return f"ev_{subject}_{'stock' if sense.how == 'stock' else 'entries'}"


def _observation_targets(
    claim: ClaimRecord, sc: Scenario, idx: StateIndex, notes: list[str]
) -> list[SeriesTarget]:
    if claim.kind != "count" or claim.value is None:
        return []
    if claim.unit.strip().lower() not in ("people", "persons", "person"):
        notes.append(f"unit '{claim.unit}' is not people: no observation row")
        return []
    senses = _senses(claim)
    if not senses:
        notes.append(f"subject '{claim.subject}' is not one the scenario's series count")
        return []
    sex = _SEX_COLUMN.get(claim.sex, "total")
    out: list[SeriesTarget] = []
    for rank, sense in enumerate(senses):
        prefer = 0.5 * (len(senses) - 1 - rank)
        found_series = False
        for obs in sc.observations:
            how, states = _measured(obs.measure)
            if how == "family":
                continue
            if how == "wave":
                if not (sense.how == "flow" and "repatriation" in sense.categories):
                    continue
            elif how != sense.how or not idx.are(states, sense.categories):
                continue
            if sex != "total" and obs.measure.family is not None:
                continue
            key, why = row_for(claim.period, how)
            if key is None:
                if how != "wave":
                    notes.append(f"series '{obs.id}': {why}")
                continue
            if not _in_span(key, idx):
                notes.append(f"series '{obs.id}': row {key.label} is outside the simulated span")
                continue
            if how == "wave" and not any(row_key_of(r).label == key.label for r in obs.rows):
                continue  # another wave
            pscore, preason, excluded = _place_verdict(claim, idx, states)
            if excluded:
                notes.append(f"series '{obs.id}': {preason}")
                continue
            found_series = True
            existing = None
            row_exists = False
            for r in obs.rows:
                if row_key_of(r).label == key.label:
                    row_exists = True
                    existing = _fmt(getattr(r, sex)) or existing
                    if existing is not None:
                        srcs = r.sources or obs.sources or []
                        existing += f" ({', '.join(srcs)})" if srcs else ""
            reasons = [f"{sense.words}: {how} of {', '.join(states) or obs.measure.wave}", why]
            if preason:
                reasons.append(preason)
            # how much of what the subject counts the series covers (a part scores less)
            every = [s for s, c in idx.categories.items() if c & sense.categories]
            cover = 0.25 * len(set(states) & set(every)) / len(every) if every else 0.0
            if obs.measure.flow is not None:
                narrow = idx.are([obs.measure.flow["from"]], frozenset({"crossing"}))
                if claim.subject == "arrived_direct" and narrow:
                    cover += 0.5
                    reasons.append("it counts direct arrivals only")
                else:
                    cover -= 0.5
                    reasons.append(f"it counts only moves from {obs.measure.flow['from']}")
            if row_exists:
                reasons.append(f"the series has a row {key.label}")
            out.append(
                SeriesTarget(
                    series=obs.id,
                    name=obs.name or obs.id,
                    row=key,
                    sex=sex,
                    new_series=False,
                    existing=existing,
                    measure=obs.measure,
                    sense=sense,
                    score=2.0 + prefer + pscore + cover + (0.25 if row_exists else 0.0),
                    reasons=tuple(reasons),
                )
            )
        if found_series:
            continue
        # no series measures it: a new series over every state of that kind (at the place)
        states = [s for s, c in idx.categories.items() if c & sense.categories]
        place = _claim_place(claim)
        if place and place in idx.known_places:
            states = [s for s in states if place in idx.places.get(s, frozenset())]
        states, pop_reason = _one_population(sc, states)
        if not states:
            continue
        key, why = row_for(claim.period, sense.how)
        if key is None or not _in_span(key, idx):
            notes.append(f"a new series of {sense.words}: {why if key is None else 'outside span'}")
            continue
        measure = Measure(stock=states) if sense.how == "stock" else Measure(entries=states)
        pscore, preason, _ = _place_verdict(claim, idx, states)
        out.append(
            SeriesTarget(
                series=_new_series_id(claim, sense),
                name=_series_name(sense, claim.place or ""),
                row=key,
                sex=sex,
                new_series=True,
                existing=None,
                measure=measure,
                sense=sense,
                score=1.0 + prefer + pscore,
                reasons=tuple(
                    r
                    for r in (
                        f"no series counts {sense.words}: a new one, {sense.how} of "
                        f"{', '.join(states)}",
                        why,
                        preason,
                        pop_reason,
                    )
                    if r
                ),
            )
        )
    return sorted(out, key=lambda t: (-t.score, t.new_series, t.series))


def _hazards(sc: Scenario) -> list[tuple[tuple[str | int, ...], list[str], Hazard]]:
    """Every hazard with its path and the states it moves people from."""
    out: list[tuple[tuple[str | int, ...], list[str], Hazard]] = []
    for path, obj in walk_models(sc, ()):
        if not isinstance(obj, Hazard):
            continue
        p = tuple(path)
        if p[0] == "transitions" and len(p) >= 2:
            origin = [str(p[1])]
        elif p[0] in ("states", "routes", "detention", "sentences") and isinstance(p[1], int):
            origin = [getattr(sc, str(p[0]))[p[1]].id]
        else:
            origin = []
        out.append((p, origin, obj))
    return out


def _parameter_targets(claim: ClaimRecord, sc: Scenario, idx: StateIndex) -> list[ParameterTarget]:
    unit = claim.unit.strip().lower()
    if claim.value is None or not (
        claim.kind in ("rate", "share") or unit.startswith(("percent", "per "))
    ):
        return []
    flows = [s for s in _senses(claim) if s.how == "flow"]
    if claim.subject == "detained" and not flows:
        flows = list(SENSES["arrested"])
    if not flows:
        return []
    labels = {r.path: r for r in parameter_table(sc)}
    unknowns = {
        p: u.id
        for u in (sc.calibration.unknowns if sc.calibration else [])
        for p in (u.path, *(getattr(u, "also", None) or ()))
    }
    out: list[ParameterTarget] = []
    for path, origin, hz in _hazards(sc):
        dest = _targets(hz.to)
        for sense in flows:
            if not idx.are(dest, sense.categories):
                continue
            rate_path = format_path((*path, "rate"))
            row = labels.get(rate_path)
            unknown = unknowns.get(rate_path)
            pscore, preason, excluded = _place_verdict(claim, idx, origin or dest)
            if excluded:
                continue
            reasons = [f"{sense.words}: the rate of moving into {', '.join(dest)}"]
            if origin:
                reasons.append(f"from {', '.join(origin)}")
            if unknown:
                reasons.append(f"calibration unknown '{unknown}': the claim can be its prior")
            if preason:
                reasons.append(preason)
            out.append(
                ParameterTarget(
                    path=rate_path,
                    label=row.label if row else rate_path,
                    value=row.value if row else "",
                    unknown=unknown,
                    from_states=tuple(origin),
                    to_states=tuple(dest),
                    score=1.0 + (1.0 if unknown else 0.0) + pscore,
                    reasons=tuple(reasons),
                )
            )
            break
    return sorted(out, key=lambda t: (-t.score, t.path))


def match_claim(claim: ClaimRecord, sc: Scenario, *, index: StateIndex | None = None) -> Proposal:
    """The parameters and observation rows of a scenario a claim is about.

    Args:
        claim: The claim (its subject, period, place, sex, kind and unit).
        sc: The scenario.
        index: The scenario's :class:`StateIndex` (built when not given).

    Returns:
        The targets, best first, and why other readings were left out.
    """
    idx = index or StateIndex.of(sc)
    notes: list[str] = []
    if claim.value is None or claim.kind in ("date", "rule"):
        return Proposal(claim.id, sc.name, notes=("a date or rule is no figure to link",))
    obs = _observation_targets(claim, sc, idx, notes)
    params = _parameter_targets(claim, sc, idx)
    if not obs and not params and not notes:
        notes.append(f"nothing in '{sc.name}' counts '{claim.subject}'")
    return Proposal(claim.id, sc.name, tuple(obs), tuple(params), tuple(dict.fromkeys(notes)))
