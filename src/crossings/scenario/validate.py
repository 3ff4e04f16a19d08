"""Meaning checks on a scenario whose shape is already valid.

These are the checks pydantic cannot do alone: every id that is referred to
exists (with a did-you-mean hint), shares sum to one, dated events fall inside
the simulated span and in order, every number has provenance, the
classification has a default rule, destinations are reachable from where
people enter, no group of states traps people in a cycle with no way out,
and, when populations are declared, every state, inflow and delegation
belongs to one top-level population and nobody moves from one to another.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel

from crossings.scenario.errors import Issue, Path_, did_you_mean, format_path
from crossings.scenario.limits import (
    MAX_AGE_BANDS,
    MAX_FACTOR,
    MAX_FLAGS,
    MAX_HAZARD_PER_YEAR,
    MAX_ORIGINS,
    MAX_PEOPLE,
    MAX_PEOPLE_PER_YEAR,
    MAX_STATES,
)
from crossings.scenario.paths import resolve_path
from crossings.scenario.populations import IMPLICIT_ID, measure_populations, state_namespace
from crossings.scenario.schema import (
    SEXES,
    Duration,
    Hazard,
    Measure,
    Modifiers,
    NumberMap,
    Population,
    Rate,
    Scenario,
    Shares,
    Sourced,
    Target,
)
from crossings.scenario.yamlsource import SourceMap

SHARE_TOLERANCE = 1e-6
DAYS_PER_YEAR = 365.25
FIRST_YEAR, LAST_YEAR = dt.MINYEAR, dt.MAXYEAR


@dataclass
class Namespace:
    """All ids a scenario defines, by kind."""

    places: dict[str, str] = field(default_factory=dict)
    states: dict[str, str] = field(default_factory=dict)  # id -> what defines it
    flags: set[str] = field(default_factory=set)
    hazard_names: set[str] = field(default_factory=set)
    borders: set[str] = field(default_factory=set)
    rulesets: set[str] = field(default_factory=set)
    age_bands: set[str] = field(default_factory=set)
    waves: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class SpanOrigin:
    """Where the simulated span was written: to tell a mistake from a deliberately changed span.

    Attributes:
        files: Per bound (``start``, ``end``), the file that wrote it, or
            ``None`` when a variant or ``--set`` changed it.
        written: The span as written in the scenario files, before variants
            and overrides (``None`` if unknown).
    """

    files: Mapping[str, str | None]
    written: tuple[dt.date, dt.date] | None = None


def iter_hazards(sc: Scenario) -> Iterator[tuple[str, Hazard, Path_]]:
    """Every hazard with its source state id and field path."""
    for i, s in enumerate(sc.states):
        for j, h in enumerate(s.hazards):
            yield s.id, h, ("states", i, "hazards", j)
    for i, r in enumerate(sc.routes):
        for j, h in enumerate(r.hazards):
            yield r.id, h, ("routes", i, "hazards", j)
    for i, q in enumerate(sc.detention):
        for j, h in enumerate(q.hazards):
            yield q.id, h, ("detention", i, "hazards", j)
    for i, s2 in enumerate(sc.sentences):
        for j, h in enumerate(s2.hazards):
            yield s2.id, h, ("sentences", i, "hazards", j)
    for sid, hs in sc.transitions.items():
        for j, h in enumerate(hs):
            yield sid, h, ("transitions", sid, j)


def target_ids(t: Target | None) -> list[str]:
    """State ids named by a target (a single id or shares)."""
    if t is None:
        return []
    if isinstance(t, str):
        return [t]
    return list(t.values)


@dataclass(frozen=True)
class Move:
    """A declared way people move between states (for the population checks).

    Attributes:
        sources: The states people move from.
        target: Where they go, as written.
        path: Where the target is written.
        what: What moves them, in words.
    """

    sources: tuple[str, ...]
    target: Target | None
    path: Path_
    what: str


def iter_moves(sc: Scenario, *, rule_list: bool = False) -> Iterator[Move]:
    """Every declared move: hazards, ``then``, routes, queues, waves, rules, cohorts, returns.

    Args:
        sc: The scenario.
        rule_list: Whether the classification was written as one ``rules``
            list (its paths are then ``classification.rules[j]``).
    """
    for sid, h, path in iter_hazards(sc):
        name = f"hazard '{h.id}'" if h.id else "a hazard"
        yield Move((sid,), h.to, (*path, "to"), f"{name} out of '{sid}'")
    for i, s in enumerate(sc.states):
        yield Move((s.id,), s.then, ("states", i, "then"), f"the 'then' of state '{s.id}'")
    for i, r in enumerate(sc.routes):
        yield Move((r.id,), r.to, ("routes", i, "to"), f"route '{r.id}'")
    for i, q in enumerate(sc.detention):
        yield Move((q.id,), q.to, ("detention", i, "to"), f"queue '{q.id}'")
        for j, w in enumerate(q.waves):
            name = w.id or w.date.isoformat()
            wpath: Path_ = ("detention", i, "waves", j, "to")
            yield Move((q.id,), w.to, wpath, f"wave '{name}' of queue '{q.id}'")
    for i, se in enumerate(sc.sentences):
        yield Move((se.id,), se.then, ("sentences", i, "then"), f"the 'then' of sentence '{se.id}'")
    for i, d in enumerate(sc.delegations):
        yield Move(
            (d.id,), d.defect_to, ("delegations", i, "defect_to"), f"defection from '{d.id}'"
        )
        yield Move((d.id,), d.on_return, ("delegations", i, "on_return"), f"the return of '{d.id}'")
    c = sc.classification
    if c is not None and c.rulesets is not None:
        for name, rules in c.rulesets.items():
            for j, rule in enumerate(rules):
                base: Path_ = (
                    ("classification", "rules")
                    if rule_list
                    else ("classification", "rulesets", name)
                )
                label = rule.name or ("the default rule" if rule.default else f"rule {j}")
                yield Move(
                    (c.id,), rule.sentence, (*base, j, "sentence"), f"classification rule '{label}'"
                )
    for i, rc in enumerate(sc.reclassifications):
        sources = (*rc.select.entered, *(rc.select.currently_in or []))
        yield Move(sources, rc.to, ("reclassifications", i, "to"), f"reclassification '{rc.id}'")


class _Checker:
    def __init__(
        self,
        sc: Scenario,
        smap: SourceMap,
        span: SpanOrigin | None,
        variant: str | None = None,
    ) -> None:
        self.sc = sc
        self.variant = variant
        self.smap = smap
        self.issues: list[Issue] = []
        self.ns = Namespace()
        if span is None:
            span = SpanOrigin({b: smap.locate(("time", b)).file for b in ("start", "end")})
        self.span_files = dict(span.files)
        # hazards count as live if they can fire in the span as run or as written, so
        # that shortening a run (--set time.end=...) does not turn rates into errors
        start, end = sc.time.start, sc.time.end
        if span.written is not None:
            start, end = min(start, span.written[0]), max(end, span.written[1])
        self.live_span = (start, end)

    # -- helpers
    def err(
        self,
        msg: str,
        path: Path_,
        *,
        expected: str | None = None,
        found: str | None = None,
        hint: str | None = None,
        key: bool = False,
        severity: str = "error",
    ) -> None:
        self.issues.append(
            Issue(
                msg,
                path,
                self.smap.locate(path, key=key),
                expected=expected,
                found=found,
                hint=hint,
                severity=severity,
            )
        )

    def ref(
        self, value: str, pool: Iterable[str], what: str, path: Path_, key: bool = False
    ) -> bool:
        pool = list(pool)
        if value in pool:
            return True
        hint = did_you_mean(value, pool)
        if hint is None:
            hint = (
                (
                    f"known {what}s: "
                    + ", ".join(sorted(pool)[:12])
                    + (" …" if len(pool) > 12 else "")
                )
                if pool
                else f"no {what}s are defined"
            )
        self.err(
            f"unknown {what} '{value}'",
            path,
            expected=f"the id of {'an' if what[0] in 'aeiou' else 'a'} {what}",
            found=repr(value),
            hint=hint,
            key=key,
        )
        return False

    def date_in_span(
        self, d: dt.date, path: Path_, what: str, *, intentional: bool = False
    ) -> bool:
        """Report a dated event outside the span; whether it lies inside.

        Outside the span the event does not happen. That is an error unless the
        item says ``outside_span: intentional``, or the side of the span it falls
        beyond was changed after the event was written (by a variant, ``--set``
        or a scenario extending this one): then it is a warning.
        """
        t = self.sc.time
        if t.start <= d <= t.end:
            return True
        if intentional:
            return False
        before = d < t.start
        severity = self._outside_severity(path, "start" if before else "end")
        mark = " (or mark it 'outside_span: intentional')" if severity == "error" else ""
        if before:
            self.err(
                f"{what} {d.isoformat()} is before the simulated span",
                path,
                expected=f"a date from {t.start.isoformat()} to {t.end.isoformat()}",
                found=d.isoformat(),
                hint="move the date or start 'time' earlier" + mark,
                severity=severity,
            )
        else:
            self.err(
                f"{what} {d.isoformat()} is after the end of the simulated span; "
                "it will not happen in this run",
                path,
                expected=f"a date up to {t.end.isoformat()}",
                found=d.isoformat(),
                hint="extend 'time.end' to include it" + mark,
                severity=severity,
            )
        return False

    def _outside_severity(self, path: Path_, bound: str) -> str:
        """``error`` if the event and that bound of the span were written together."""
        span_file = self.span_files.get(bound)
        if span_file is None:
            return "warning"
        event_file = self.smap.locate(path).file
        if event_file.startswith("--set") or event_file == span_file:
            return "error"
        return "warning"

    def shares(self, sh: Shares | None, path: Path_, what: str) -> None:
        if sh is None:
            return
        total = sum(sh.values.values())
        if not sh.values:
            self.err(f"{what} has no entries", path, expected="names with shares summing to 1")
        elif abs(total - 1.0) > SHARE_TOLERANCE:
            self.err(
                f"{what} shares sum to {total:.6g}, not 1",
                path,
                expected="shares summing to 1",
                found=f"{total:.6g}",
                hint="adjust the shares (use fractions: 0.25, not 25)",
            )
        for k, v in sh.values.items():
            if v < 0:
                self.err(
                    f"share '{k}' is negative", (*path, k), expected="a share ≥ 0", found=str(v)
                )

    def not_itself(self, sid: str, t: Target | None, path: Path_, what: str) -> None:
        """Report a target (of a duration, route, queue or wave) that is the state itself."""
        if sid not in target_ids(t):
            return
        self.err(
            f"{what} leads back to itself",
            path if isinstance(t, str) else (*path, sid),
            expected=f"a target other than '{sid}'",
            found=repr(sid),
            hint="name the state people go to next",
            key=not isinstance(t, str),
        )

    def target(self, t: Target | None, path: Path_, what: str) -> None:
        if t is None:
            return
        if isinstance(t, str):
            self.ref(t, self.ns.states, "state", path)
        else:
            self.shares(t, path, what)
            for k in t.values:
                self.ref(k, self.ns.states, "state", (*path, k), key=True)

    # -- checks
    def run(self) -> list[Issue]:
        sc = self.sc
        self.check_time()
        self.collect_ids()
        self.check_sources()
        self.check_places_states()
        self.check_hazards()
        self.check_people_inflows()
        self.check_detention()
        self.check_classification()
        self.check_sentences_reclass_families()
        self.check_delegations()
        self.check_policies()
        self.check_populations()
        self.check_observations()
        self.check_calibration()
        self.check_engine_limits()
        if not any(i.severity == "error" for i in self.issues):
            self.check_graph()
        del sc
        return self.issues

    def check_time(self) -> None:
        t = self.sc.time
        if t.end <= t.start:
            self.err(
                "the end date is not after the start date",
                ("time", "end"),
                expected=f"a date after {t.start.isoformat()}",
                found=t.end.isoformat(),
                hint="swap start and end?",
            )

    def collect_ids(self) -> None:
        sc = self.sc
        seen: dict[str, Path_] = {}
        for i, p in enumerate(sc.places):
            if p.id in self.ns.places:
                self.err(
                    f"duplicate place id '{p.id}'",
                    ("places", i, "id"),
                    hint="give each place its own id",
                )
            self.ns.places[p.id] = p.kind
        sections: list[tuple[str, list[BaseModel]]] = [
            ("states", list(sc.states)),
            ("routes", list(sc.routes)),
            ("detention", list(sc.detention)),
            ("sentences", list(sc.sentences)),
            ("delegations", list(sc.delegations)),
        ]
        for sec, items in sections:
            for i, item in enumerate(items):
                sid = str(getattr(item, "id"))  # noqa: B009
                if sid in seen:
                    first = seen[sid]
                    self.err(
                        f"duplicate state id '{sid}'",
                        (sec, i, "id"),
                        expected="ids unique across states, routes, detention, sentences "
                        "and delegations",
                        found=f"'{sid}' also at {self.smap.locate(first)}",
                        hint="rename one of them",
                    )
                seen[sid] = (sec, i, "id")
        self.ns.states = state_namespace(sc)
        if sc.classification is not None and sc.classification.id in seen:
            self.err(
                f"classification id '{sc.classification.id}' is also a state id",
                ("classification", "id"),
            )
        for i, f in enumerate(sc.people.flags):
            if f.id in self.ns.flags:
                self.err(f"duplicate flag id '{f.id}'", ("people", "flags", i, "id"))
            self.ns.flags.add(f.id)
        ab = sc.people.age_bands
        if ab is not None:
            if ab.shares is not None:
                self.ns.age_bands = set(ab.shares)
            elif ab.by_sex is not None:
                for v in ab.by_sex.values():
                    self.ns.age_bands |= set(v)
        for _, h, _ in iter_hazards(sc):
            if h.id:
                self.ns.hazard_names.add(h.id)
            self.ns.hazard_names |= set(h.tags)
            if h.border:
                self.ns.borders.add(h.border)
        for q in sc.detention:
            self.ns.hazard_names.add(q.id)
            self.ns.hazard_names |= set(q.tags)
            if q.border:
                self.ns.borders.add(q.border)
            for w in q.waves:
                if w.id:
                    self.ns.waves.add(w.id)
        for f2 in sc.people.flags:
            for a in f2.acquire:
                self.ns.hazard_names |= set(a.tags)
            self.ns.hazard_names.add(f"flag:{f2.id}")
        for r in sc.routes:
            self.ns.hazard_names.add(r.id)
        for inf in sc.inflows:
            self.ns.hazard_names.add(inf.id)
            self.ns.hazard_names |= set(inf.tags)
        if sc.classification is not None and sc.classification.rulesets is not None:
            self.ns.rulesets = set(sc.classification.rulesets)
        id_lists: tuple[tuple[str, list[str]], ...] = (
            ("policy", [p.id for p in sc.policies]),
            ("observation", [o.id for o in sc.observations]),
            ("reclassification", [rc.id for rc in sc.reclassifications]),
        )
        for kind, lst in id_lists:
            ids: set[str] = set()
            sec = {
                "policy": "policies",
                "observation": "observations",
                "reclassification": "reclassifications",
            }[kind]
            for i, item_id in enumerate(lst):
                if item_id in ids:
                    self.err(f"duplicate {kind} id '{item_id}'", (sec, i, "id"))
                ids.add(item_id)

    def check_sources(self) -> None:
        known = set(self.sc.sources)
        for path, obj in walk_models(self.sc, ()):
            if not isinstance(obj, Sourced):
                continue
            if isinstance(obj, Duration) and obj.distribution == "life":
                continue
            if isinstance(obj, NumberMap) and not obj.values:
                continue
            if not obj.sources and not obj.assumption:
                self.err(
                    "number without a source",
                    path,
                    expected="'sources: [ID, ...]' or 'assumption: \"why\"'",
                    found="neither",
                    hint="cite a source from the 'sources' section, or state the "
                    "assumption behind the value",
                )
            for j, s in enumerate(obj.sources or []):
                self.ref(s, known, "source", (*path, "sources", j))
        for i, lim in enumerate(self.sc.limits):
            for j, s in enumerate(lim.sources):
                self.ref(s, known, "source", ("limits", i, "sources", j))

    def check_places_states(self) -> None:
        sc = self.sc
        for i, s in enumerate(sc.states):
            if s.place is not None:
                self.ref(s.place, self.ns.places, "place", ("states", i, "place"))
            if s.duration is not None and s.then is None and s.duration.distribution != "life":
                self.err(
                    f"state '{s.id}' has a duration but no 'then'",
                    ("states", i),
                    expected="'then:' naming where people go when the time is up",
                    hint="add 'then: STATE' to the state, or use 'distribution: life' "
                    "if it never ends",
                )
            if s.then is not None and s.duration is None:
                self.err(
                    f"state '{s.id}' has 'then' but no duration",
                    ("states", i, "then"),
                    hint="add 'duration:' or move the target into a hazard",
                )
            self.target(s.then, ("states", i, "then"), f"'then' of state '{s.id}'")
            self.not_itself(s.id, s.then, ("states", i, "then"), f"state '{s.id}'")
        for i, r in enumerate(sc.routes):
            self.ref(r.from_, self.ns.states, "state", ("routes", i, "from"))
            self.target(r.to, ("routes", i, "to"), f"destination of route '{r.id}'")
            if r.from_ in target_ids(r.to) or r.from_ == r.id:
                self.err(
                    f"route '{r.id}' leads from '{r.from_}' back to '{r.from_}'",
                    ("routes", i, "to"),
                    expected=f"a destination other than '{r.from_}'",
                    found=repr(r.from_),
                    hint="a route must lead somewhere else; record a journey that comes "
                    "back with a flag, or end it in a state of its own",
                )
            else:
                self.not_itself(r.id, r.to, ("routes", i, "to"), f"route '{r.id}'")
            if r.place is not None:
                self.ref(r.place, self.ns.places, "place", ("routes", i, "place"))
        for sid in sc.transitions:
            self.ref(sid, self.ns.states, "state", ("transitions", sid), key=True)

    def check_modifiers(self, h_mod: object, path: Path_) -> None:
        if not isinstance(h_mod, Modifiers):
            return
        for k in h_mod.age_band:
            self.ref(k, self.ns.age_bands, "age band", (*path, "age_band", k), key=True)
        for k in h_mod.origin:
            self.ref(k, self.ns.places, "place", (*path, "origin", k), key=True)
        for k in h_mod.flags:
            self.ref(k, self.ns.flags, "flag", (*path, "flags", k), key=True)
        for group in ("sex", "age_band", "origin", "flags"):
            for k, v in getattr(h_mod, group).items():
                if v > MAX_FACTOR:
                    self.err(
                        f"modifier above the limit of {MAX_FACTOR:,.0f}",
                        (*path, group, str(k)),
                        expected=f"a multiplier of at most {MAX_FACTOR:,.0f}",
                        found=f"{v:.6g}",
                        hint="modifiers multiply a hazard; 2 doubles it, 0.5 halves it",
                    )

    def check_rate(self, r: Rate, path: Path_, *, inflow: bool = False) -> None:
        """Order of dated values, calendar years, the span, and the upper bound of a rate.

        Args:
            r: The rate.
            path: Its field path.
            inflow: Whether it counts people per year (an inflow) rather than
                events per person-year (a hazard).
        """
        self._check_rate_bound(r, path, inflow=inflow)
        if r.schedule:
            prev: dt.date | None = None
            for j, p in enumerate(r.schedule):
                if prev is not None and p.from_ <= prev:
                    self.err(
                        "schedule dates are not in increasing order",
                        (*path, "schedule", j, "from"),
                        expected=f"a date after {prev.isoformat()}",
                        found=p.from_.isoformat(),
                    )
                prev = p.from_
        if r.by_year:
            years = list(r.by_year)
            if years != sorted(years):
                self.err(
                    "by_year years are not in increasing order",
                    (*path, "by_year"),
                    found=", ".join(map(str, years)),
                )
            bad = [y for y in years if not FIRST_YEAR <= y <= LAST_YEAR]
            for y in bad:
                self.err(
                    f"by_year year {y} is not a calendar year",
                    (*path, "by_year", str(y)),
                    expected=f"a year from {FIRST_YEAR} to {LAST_YEAR}",
                    found=str(y),
                    key=True,
                )
            y0, y1 = self.sc.time.start.year, self.sc.time.end.year
            if not bad and all(not y0 <= y <= y1 for y in years):
                severity = self._outside_severity(
                    (*path, "by_year"), "end" if min(years) > y1 else "start"
                )
                self.err(
                    "every year of the by_year table lies outside the simulated span",
                    (*path, "by_year"),
                    expected=f"at least one year from {y0} to {y1}",
                    found=f"{min(years)}–{max(years)}" if len(years) > 1 else str(years[0]),
                    hint="check the years (a wrong century?), or write a constant rate as per_year",
                    severity=severity,
                )

    def _check_rate_bound(self, r: Rate, path: Path_, *, inflow: bool) -> None:
        """Refuse rates too large for the engine (people per year, or events per person-year)."""
        limit = MAX_PEOPLE_PER_YEAR if inflow else MAX_HAZARD_PER_YEAR
        values: list[tuple[float, Path_]] = []
        if r.by_year:
            values = [(v, (*path, "by_year", str(y))) for y, v in r.by_year.items()]
        elif r.schedule:
            values = [
                (p.per_year, (*path, "schedule", j, "per_year")) for j, p in enumerate(r.schedule)
            ]
        else:
            form = next(
                f
                for f in ("per_year", "per_day", "mean_days", "probability")
                if getattr(r, f) is not None
            )
            start = self.sc.time.start
            values = [(_values_in_span(r, start, start)[0], (*path, form))]
        for v, vpath in values:
            if v <= limit:
                continue
            if inflow:
                self.err(
                    f"inflow above the limit of {limit:,.0f} people per year",
                    vpath,
                    expected=f"at most {limit:,.0f} people per year",
                    found=f"{v:.6g} people per year",
                    hint="an inflow counts people per year; check for a misplaced exponent or "
                    "a wrong unit",
                )
            else:
                self.err(
                    f"rate above the limit of {limit:,.0f} per year",
                    vpath,
                    expected=f"at most {limit:,.0f} events per person-year "
                    "(a mean wait of about half a minute)",
                    found=f"{v:.6g} per year",
                    hint="check the unit: per_year, per_day and mean_days differ by a factor "
                    "of 365",
                )
            return

    def check_hazards(self) -> None:
        for sid, h, path in iter_hazards(self.sc):
            self.target(h.to, (*path, "to"), f"targets of a hazard out of '{sid}'")
            self.check_rate(h.rate, (*path, "rate"))
            self.check_modifiers(h.modifiers, (*path, "modifiers"))
            for j, f in enumerate(h.set_flags):
                self.ref(f, self.ns.flags, "flag", (*path, "set_flags", j))
            if sid in target_ids(h.to):
                self.err(
                    f"hazard out of '{sid}' leads back to '{sid}'",
                    (*path, "to") if isinstance(h.to, str) else (*path, "to", sid),
                    expected="a target other than the state it leaves",
                    found=repr(sid),
                    hint="a transition must change state; use a flag to record events",
                    key=not isinstance(h.to, str),
                )

    def check_people_inflows(self) -> None:
        sc = self.sc
        ab = sc.people.age_bands
        if ab is not None:
            if ab.shares is not None:
                self.shares(
                    Shares(values=ab.shares, assumption="-"),
                    ("people", "age_bands", "shares"),
                    "age band",
                )
            if ab.by_sex is not None:
                for sx, v in ab.by_sex.items():
                    self.shares(
                        Shares(values=v, assumption="-"),
                        ("people", "age_bands", "by_sex", sx),
                        f"age band ({sx})",
                    )
                bands = [set(v) for v in ab.by_sex.values()]
                if len(bands) == 2 and bands[0] != bands[1]:
                    self.err(
                        "age bands differ between the sexes",
                        ("people", "age_bands"),
                        hint="use the same band names for both sexes",
                    )
        for i, f in enumerate(sc.people.flags):
            for j, a in enumerate(f.acquire):
                for k, s in enumerate(a.in_):
                    self.ref(
                        s, self.ns.states, "state", ("people", "flags", i, "acquire", j, "in", k)
                    )
                self.check_rate(a.rate, ("people", "flags", i, "acquire", j, "rate"))
                self.check_modifiers(a.modifiers, ("people", "flags", i, "acquire", j, "modifiers"))
            for k, s in enumerate(f.set_on_enter):
                self.ref(s, self.ns.states, "state", ("people", "flags", i, "set_on_enter", k))
        if not sc.inflows and not sc.delegations:
            self.err(
                "nobody enters the system",
                ("inflows",),
                expected="at least one inflow or delegation",
                hint="add an 'inflows' entry with a rate and an entry state",
            )
        origins = [p for p, kind in self.ns.places.items()]
        for i, inf in enumerate(sc.inflows):
            base: Path_ = ("inflows", i)
            if isinstance(inf.enter, str):
                self.ref(inf.enter, self.ns.states, "state", (*base, "enter"))
            else:
                for origin_key, entry_state in inf.enter.items():
                    if origin_key != "default":
                        self.ref(
                            origin_key, origins, "place", (*base, "enter", origin_key), key=True
                        )
                    self.ref(entry_state, self.ns.states, "state", (*base, "enter", origin_key))
                if inf.origins is not None:
                    missing = [
                        o
                        for o in inf.origins.values
                        if o not in inf.enter and "default" not in inf.enter
                    ]
                    for o in missing:
                        self.err(
                            f"origin '{o}' has no entry state",
                            (*base, "enter"),
                            hint=f"add '{o}: STATE' or 'default: STATE' under enter",
                        )
                elif "default" not in inf.enter:
                    self.err(
                        "'enter' by origin needs 'origins' shares or a 'default'", (*base, "enter")
                    )
            self.shares(inf.sex, (*base, "sex"), "sex")
            if inf.sex is not None:
                for sex_key in inf.sex.values:
                    if sex_key not in SEXES:
                        self.err(
                            f"unknown sex '{sex_key}'",
                            (*base, "sex", sex_key),
                            key=True,
                            expected="female or male",
                            hint=did_you_mean(sex_key, SEXES),
                        )
            self.shares(inf.origins, (*base, "origins"), "origin")
            if inf.origins is not None:
                for origin_key in inf.origins.values:
                    self.ref(origin_key, origins, "place", (*base, "origins", origin_key), key=True)
            for r, p in ([(inf.rate, (*base, "rate"))] if inf.rate else []) + [
                (rr, (*base, "rate_by_sex", sx)) for sx, rr in (inf.rate_by_sex or {}).items()
            ]:
                if r.mean_days is not None or r.probability is not None:
                    self.err(
                        "an inflow rate is people per year",
                        p,
                        expected="per_year, per_day, by_year or schedule",
                        found="mean_days" if r.mean_days is not None else "probability",
                    )
                    continue
                self.check_rate(r, p, inflow=True)
            if inf.initial is not None and inf.initial.value > MAX_PEOPLE:
                self.err(
                    f"initial stock above the limit of {MAX_PEOPLE:,.0f} people",
                    (*base, "initial", "value"),
                    expected=f"at most {MAX_PEOPLE:,.0f} people",
                    found=f"{inf.initial.value:.6g}",
                    hint="check for a misplaced exponent",
                )

    def check_detention(self) -> None:
        sc = self.sc
        wave_dates: dict[str, tuple[dt.date, str]] = {}  # wave id -> (date, first queue)
        for i, q in enumerate(sc.detention):
            base: Path_ = ("detention", i)
            if q.place is not None:
                self.ref(q.place, self.ns.places, "place", (*base, "place"))
            self.target(q.to, (*base, "to"), f"destination of queue '{q.id}'")
            self.not_itself(q.id, q.to, (*base, "to"), f"queue '{q.id}'")
            if q.rate is not None:
                self.check_rate(q.rate, (*base, "rate"))
            for j, w in enumerate(q.waves):
                self.date_in_span(
                    w.date,
                    (*base, "waves", j, "date"),
                    "wave date",
                    intentional=w.outside_span is not None,
                )
                self.target(w.to, (*base, "waves", j, "to"), "wave destination")
                self.not_itself(q.id, w.to, (*base, "waves", j, "to"), f"a wave of '{q.id}'")
                self._check_wave_id(q.id, j, w.id, w.date, base, wave_dates)
            dates = [w.date for w in q.waves]
            if len(set(dates)) != len(dates):
                self.err(
                    f"queue '{q.id}' has two waves on the same date",
                    (*base, "waves"),
                    hint="merge them into one wave",
                )
            if q.rate is None and not q.waves and not q.hazards:
                self.err(
                    f"queue '{q.id}' never releases anyone",
                    base,
                    expected="'waves', a 'rate', or hazards",
                    hint="add dated waves or a release rate",
                )

    def _check_wave_id(
        self,
        queue: str,
        j: int,
        wid: str | None,
        date: dt.date,
        base: Path_,
        seen: dict[str, tuple[dt.date, str]],
    ) -> None:
        """A wave id names one dated event: once per queue, on one date in every queue."""
        if wid is None:
            return
        first = seen.get(wid)
        if first is None:
            seen[wid] = (date, queue)
        elif first[1] == queue:
            self.err(
                f"queue '{queue}' has two waves with the id '{wid}'",
                (*base, "waves", j, "id"),
                expected="a wave id used once per queue",
                found=repr(wid),
                hint="give each wave of a queue its own id",
            )
        elif first[0] != date:
            self.err(
                f"wave '{wid}' has different dates in queues '{first[1]}' and '{queue}'",
                (*base, "waves", j, "date"),
                expected=f"{first[0].isoformat()}, as in queue '{first[1]}' (a wave id shared "
                "by several queues is one dated event)",
                found=date.isoformat(),
                hint="use the same date, or give the waves different ids",
            )

    def check_classification(self) -> None:
        c = self.sc.classification
        if c is None:
            return
        for k in c.detection.values:
            self.ref(k, self.ns.flags, "flag", ("classification", "detection", k), key=True)
            if not 0 <= c.detection.values[k] <= 1:
                self.err(
                    f"detection probability of '{k}' is outside [0, 1]",
                    ("classification", "detection", k),
                    expected="a probability between 0 and 1",
                    found=str(c.detection.values[k]),
                    hint="write probabilities as fractions (0.35, not 35)",
                )
        assert c.rulesets is not None
        if c.default_ruleset not in c.rulesets:
            self.ref(
                c.default_ruleset, c.rulesets, "ruleset", ("classification", "default_ruleset")
            )
        for name, rules in c.rulesets.items():
            base: Path_ = ("classification", "rulesets", name)
            if ("classification", "rules") in self.smap.values:
                base = ("classification", "rules")  # written as a single rule list
            defaults = [j for j, r in enumerate(rules) if r.default]
            if not defaults:
                what = (
                    "the classification rules have"
                    if base[-1] == "rules"
                    else f"ruleset '{name}' has"
                )
                self.err(
                    f"{what} no default rule",
                    base,
                    key=True,
                    expected="a last rule with 'default: true' for everyone no rule matches",
                    hint="add '- default: true' with a sentence",
                )
            elif len(defaults) > 1:
                self.err("more than one default rule", (*base, defaults[1], "default"))
            elif defaults[0] != len(rules) - 1:
                self.err(
                    "rules after the default rule can never apply",
                    (*base, defaults[0]),
                    hint="move the default rule to the end",
                    severity="warning",
                )
            for j, r in enumerate(rules):
                if r.default and r.when is not None:
                    self.err("the default rule cannot have a condition", (*base, j, "when"))
                if not r.default and r.when is None:
                    self.err("a rule needs 'when' (or 'default: true')", (*base, j))
                if r.when is not None:
                    for part in ("detected_any", "detected_all", "detected_none"):
                        for fi, f in enumerate(getattr(r.when, part)):
                            self.ref(f, self.ns.flags, "flag", (*base, j, "when", part, fi))
                self.target(r.sentence, (*base, j, "sentence"), "sentence")

    def check_sentences_reclass_families(self) -> None:
        sc = self.sc
        for i, s in enumerate(sc.sentences):
            if s.place is not None:
                self.ref(s.place, self.ns.places, "place", ("sentences", i, "place"))
            if s.duration.distribution != "life" and s.then is None:
                self.err(
                    f"sentence '{s.id}' has a term but no 'then'",
                    ("sentences", i),
                    expected="'then:' naming the state people are released to",
                )
            self.target(s.then, ("sentences", i, "then"), "release")
            self.not_itself(s.id, s.then, ("sentences", i, "then"), f"sentence '{s.id}'")
        for i, rc in enumerate(sc.reclassifications):
            base: Path_ = ("reclassifications", i)
            self.date_in_span(
                rc.date,
                (*base, "date"),
                "reclassification date",
                intentional=rc.outside_span is not None,
            )
            sel = rc.select
            if sel.from_ > sel.to:
                self.err(
                    "cohort 'from' is after 'to'",
                    (*base, "select", "from"),
                    found=f"{sel.from_} > {sel.to}",
                )
            if sel.to > rc.date:
                self.err(
                    "the cohort window ends after the reclassification date",
                    (*base, "select", "to"),
                    expected=f"on or before {rc.date}",
                    found=sel.to.isoformat(),
                    severity="warning",
                )
            for part in ("entered", "currently_in", "not_in"):
                for k, s2 in enumerate(getattr(sel, part) or []):
                    self.ref(s2, self.ns.states, "state", (*base, "select", part, k))
            self.target(rc.to, (*base, "to"), "reclassification target")
        fam = sc.families
        if fam is not None:
            hs = fam.household_size.values
            total = sum(hs.values())
            if abs(total - 1) > SHARE_TOLERANCE:
                self.err(
                    f"household size shares sum to {total:.6g}, not 1",
                    ("families", "household_size"),
                    expected="shares summing to 1",
                )
            for size_key in hs:
                if not size_key.isdigit() or not 1 <= int(size_key) <= 30:
                    self.err(
                        f"household size '{size_key}' is not a whole number from 1 to 30",
                        ("families", "household_size", size_key),
                        key=True,
                        hint="sizes count the person and the family left behind",
                    )
            for i, o in enumerate(fam.outcomes):
                for k, s3 in enumerate(o.on_enter):
                    self.ref(
                        s3, self.ns.states, "state", ("families", "outcomes", i, "on_enter", k)
                    )
                for ck, v in o.consequences.values.items():
                    if not 0 <= v <= 1:
                        self.err(
                            "a consequence share must lie between 0 and 1",
                            ("families", "outcomes", i, "consequences", ck),
                            expected="the share of family members affected, 0–1",
                            found=str(v),
                        )

    def check_delegations(self) -> None:
        for i, d in enumerate(self.sc.delegations):
            base: Path_ = ("delegations", i)
            self.ref(d.place, self.ns.places, "place", (*base, "place"))
            departs = self.date_in_span(
                d.depart, (*base, "depart"), "departure", intentional=d.outside_span is not None
            )
            if departs and d.return_ > self.sc.time.end:
                self.err(
                    f"return {d.return_.isoformat()} is after the end of the simulated span",
                    (*base, "return"),
                    expected=f"a date up to {self.sc.time.end.isoformat()}",
                    found=d.return_.isoformat(),
                    hint="the members still abroad at the end are counted in the delegation",
                    severity="warning",
                )
            if d.return_ <= d.depart:
                self.err(
                    "return is not after departure",
                    (*base, "return"),
                    expected=f"a date after {d.depart}",
                    found=d.return_.isoformat(),
                )
            if d.size.value < 0 or d.size.value != int(d.size.value):
                self.err(
                    "delegation size must be a whole number ≥ 0",
                    (*base, "size", "value"),
                    found=str(d.size.value),
                )
            elif d.size.value > MAX_PEOPLE:
                self.err(
                    f"delegation larger than the limit of {MAX_PEOPLE:,.0f} people",
                    (*base, "size", "value"),
                    expected=f"at most {MAX_PEOPLE:,.0f} people",
                    found=f"{d.size.value:.6g}",
                    hint="check for a misplaced exponent",
                )
            for name in ("female_share", "surveillance", "defection_probability"):
                v = getattr(d, name).value
                if not 0 <= v <= 1:
                    self.err(
                        f"{name} must lie between 0 and 1",
                        (*base, name, "value"),
                        expected="a probability between 0 and 1",
                        found=str(v),
                    )
            self.target(d.defect_to, (*base, "defect_to"), "defection target")
            self.target(d.on_return, (*base, "on_return"), "return outcomes")

    def check_policies(self) -> None:
        sc = self.sc
        for i, p in enumerate(sc.policies):
            base: Path_ = ("policies", i)
            if p.to is not None and p.to < p.from_:
                self.err(
                    f"policy '{p.id}' ends before it starts",
                    (*base, "to"),
                    expected=f"a date on or after {p.from_}",
                    found=p.to.isoformat(),
                )
            end = p.to or sc.time.end
            outside = end < sc.time.start or p.from_ > sc.time.end
            if outside and p.outside_span is None:
                severity = self._outside_severity(
                    (*base, "from"), "start" if end < sc.time.start else "end"
                )
                self.err(
                    f"policy '{p.id}' lies wholly outside the simulated span",
                    base,
                    expected=f"dates overlapping {sc.time.start.isoformat()} to "
                    f"{sc.time.end.isoformat()}",
                    found=f"{p.from_.isoformat()} to " + (p.to.isoformat() if p.to else "the end"),
                    hint="it will not happen in this run; check its dates"
                    + (" (or mark it 'outside_span: intentional')" if severity == "error" else ""),
                    severity=severity,
                )
            for j, e in enumerate(p.effects):
                ep: Path_ = (*base, "effects", j)
                if e.factor is not None and e.factor.value > MAX_FACTOR:
                    self.err(
                        f"scale factor above the limit of {MAX_FACTOR:,.0f}",
                        (*ep, "factor", "value"),
                        expected=f"a multiplier of at most {MAX_FACTOR:,.0f}",
                        found=f"{e.factor.value:.6g}",
                        hint="a factor multiplies the hazards it scales; 2 doubles them",
                    )
                for k, name in enumerate(e.scale or []):
                    self.ref(name, self.ns.hazard_names, "hazard id or tag", (*ep, "scale", k))
                if e.close_border is not None:
                    self.ref(e.close_border, self.ns.borders, "border", (*ep, "close_border"))
                if e.close_route is not None:
                    routes = [r.id for r in sc.routes]
                    self.ref(e.close_route, routes, "route", (*ep, "close_route"))
                if e.ruleset is not None:
                    self.ref(e.ruleset, self.ns.rulesets, "ruleset", (*ep, "ruleset"))

    def _check_measure(self, m: Measure, base: Path_) -> None:
        for part in ("entries", "stock"):
            for k, s in enumerate(getattr(m, part) or []):
                self.ref(s, self.ns.states, "state", (*base, "measure", part, k))
        if m.flow is not None:
            for end in ("from", "to"):
                self.ref(m.flow[end], self.ns.states, "state", (*base, "measure", "flow", end))
        if m.wave is not None:
            self.ref(m.wave, self.ns.waves, "wave", (*base, "measure", "wave"))
        if m.family is not None:
            fam = self.sc.families
            cons = sorted({c for o in (fam.outcomes if fam else []) for c in o.consequences.values})
            for k, c in enumerate(m.family):
                if c == "any" and fam is not None:
                    continue  # each member once, whatever they suffer
                self.ref(c, cons, "family consequence", (*base, "measure", "family", k))

    def check_calibration(self) -> None:
        cal = self.sc.calibration
        if cal is None:
            return
        numbered = {format_path(p) for p, o in walk_models(self.sc, ()) if isinstance(o, Sourced)}
        seen: set[str] = set()
        for i, u in enumerate(cal.unknowns):
            base: Path_ = ("calibration", "unknowns", i)
            if u.id in seen:
                self.err(
                    f"unknown id {u.id!r} is used twice",
                    (*base, "id"),
                    hint="give each unknown its own id",
                )
            seen.add(u.id)
            for k, path in enumerate([u.path, *u.also]):
                where = (*base, "path") if k == 0 else (*base, "also", k - 1)
                canon = resolve_path(self.sc, path)
                if canon in numbered:
                    continue
                if self.variant is not None:
                    self.err(
                        f"unknown {u.id!r} does not apply in this variant (nothing is at "
                        f"{path!r} once the variant is applied); calibration leaves it out",
                        where,
                        hint="name list items by id in unknown paths so that they survive "
                        "variants that remove other items",
                        severity="warning",
                    )
                    continue
                self.err(
                    "no sourced parameter has this path",
                    where,
                    expected="a path listed by `crossings sources` (list items by index or id)",
                    found=path,
                    hint=did_you_mean(path, numbered) or "",
                )
            if not (u.prior.sources or u.prior.assumption):
                self.err(
                    "the prior names no source and no assumption",
                    (*base, "prior"),
                    hint="add `sources: [...]` or `assumption: why this prior`",
                )
            sm = u.smoothness
            if sm is not None and not (sm.step_sd.sources or sm.step_sd.assumption):
                self.err(
                    "the smoothness prior names no source and no assumption",
                    (*base, "smoothness", "step_sd"),
                    hint="add `assumption:` saying how fast the series may change and why",
                )
        variants = sorted(self.sc.variants)
        for i, v in enumerate(cal.alternatives):
            self.ref(v, variants, "variant", ("calibration", "alternatives", i))
        for i, e in enumerate(cal.estimates):
            self._check_measure(e.measure, ("calibration", "estimates", i))
        ap = cal.approximation
        if ap is not None and ap.lump_days is not None and not (ap.sources or ap.assumption):
            self.err(
                "the approximation gives no reason",
                ("calibration", "approximation"),
                hint="add `assumption:` saying why the shortcut is safe (for example "
                "the error measured against `--exact`)",
            )
        obs_ids = {o.id for o in self.sc.observations}
        for i, x in enumerate(cal.exclude):
            self.ref(x, sorted(obs_ids), "observation", ("calibration", "exclude", i))

    # -- populations
    def check_populations(self) -> None:
        """Populations: known ids and one headline; no move from one population to another.

        Every state, inflow and delegation belongs to one top-level population;
        a sub-population's states, inflows and delegations are its parent's.
        """
        sc = self.sc
        pops = sc.populations
        if not pops:
            self._check_figure_populations([IMPLICIT_ID])
            return
        ids = self._population_ids()
        by_id = {p.id: p for p in pops}
        tops = [p.id for p in pops if p.within is None]
        for i, p in enumerate(pops):
            base: Path_ = ("populations", i)
            for k, s in enumerate(p.states):
                self.ref(s, self.ns.states, "state", (*base, "states", k))
            for k, inf in enumerate(p.inflows):
                self.ref(inf, [x.id for x in sc.inflows], "inflow", (*base, "inflows", k))
            for k, d in enumerate(p.delegations):
                self.ref(d, [x.id for x in sc.delegations], "delegation", (*base, "delegations", k))
            if p.headline and p.context:
                self.err(
                    f"population '{p.id}' is both the headline and context",
                    (*base, "context"),
                    expected="'headline: true' for the people the scenario is about, or "
                    "'context: true' for people shown apart, not both",
                    found="headline: true and context: true",
                    hint="context is shown apart and never added into the headline totals",
                )
            if p.within is not None:
                self._check_within(i, p.id, p.within, ids, by_id)
                for flag in ("headline", "context"):
                    if getattr(p, flag):
                        self.err(
                            f"sub-population '{p.id}' cannot be marked {flag}",
                            (*base, flag),
                            expected=f"'{flag}' only on a top-level population (one "
                            "without 'within')",
                            found=f"{flag}: true",
                            hint=f"a sub-population is shown with its parent "
                            f"'{p.within}'; remove '{flag}' here",
                        )
        headlines = [i for i, p in enumerate(pops) if p.within is None and p.headline]
        if not headlines and tops:
            self.err(
                "no population is the headline",
                ("populations",),
                key=True,
                expected="exactly one top-level population with 'headline: true'",
                found="none",
                hint="mark the people the scenario is about (e.g. the people who left) "
                "with 'headline: true'",
            )
        for i in headlines[1:]:
            self.err(
                "more than one headline population",
                ("populations", i, "headline"),
                expected="exactly one top-level population with 'headline: true'",
                found=f"'{pops[headlines[0]].id}' and '{pops[i].id}'",
                hint="keep 'headline: true' on the people the scenario is about; mark the "
                "others 'context: true' or leave both out",
            )
        owner = self._owners("states", set(self.ns.states))
        in_sub = {s for p in pops if p.within is not None for s in p.states}
        for sid in self.ns.states:
            if sid not in owner and sid not in in_sub:
                self.err(
                    f"state '{sid}' belongs to no population",
                    self._state_path(sid),
                    expected="every state listed in the 'states' of one top-level population",
                    found="not listed in any population",
                    hint=f"add '{sid}' to the states of one of: " + ", ".join(tops),
                )
        self._check_entrants(owner, tops)
        for i, p in enumerate(pops):
            parent = by_id.get(p.within or "")
            if parent is None or parent.within is not None:
                continue
            for k, s in enumerate(p.states):
                if s in self.ns.states and s not in parent.states:
                    self.err(
                        f"state '{s}' of sub-population '{p.id}' is not in its parent "
                        f"'{parent.id}'",
                        ("populations", i, "states", k),
                        expected=f"a state of population '{parent.id}'",
                        found=repr(s) + (f", a state of '{owner[s]}'" if s in owner else ""),
                        hint=f"a sub-population's states are some of its parent's: add '{s}' "
                        f"to '{parent.id}' or remove it here",
                    )
            for part in ("inflows", "delegations"):
                for k, x in enumerate(getattr(p, part)):
                    if x not in getattr(parent, part):
                        self.err(
                            f"{part[:-1]} '{x}' of sub-population '{p.id}' does not enter its "
                            f"parent '{parent.id}'",
                            ("populations", i, part, k),
                            expected=f"one of the {part} of population '{parent.id}'",
                            found=repr(x),
                            hint=f"list '{x}' under '{parent.id}' too, or remove it here",
                        )
        self._check_population_moves(owner)
        self._check_figure_populations(ids)

    def _population_ids(self) -> list[str]:
        ids: list[str] = []
        for i, p in enumerate(self.sc.populations):
            if p.id in ids:
                self.err(
                    f"duplicate population id '{p.id}'",
                    ("populations", i, "id"),
                    expected="a population id used once",
                    hint="give each population its own id",
                )
            ids.append(p.id)
        return ids

    def _check_within(
        self, i: int, pid: str, within: str, ids: list[str], by_id: Mapping[str, Population]
    ) -> None:
        path: Path_ = ("populations", i, "within")
        if within == pid:
            self.err(
                f"population '{pid}' lies within itself",
                path,
                expected="the id of another, top-level population",
                found=repr(within),
                hint="remove 'within' to make it a top-level population",
            )
        elif self.ref(within, ids, "population", path):
            grand = by_id[within].within
            if grand is not None:
                self.err(
                    f"population '{pid}' lies within '{within}', which lies within '{grand}'",
                    path,
                    expected="the id of a top-level population (one without 'within')",
                    found=repr(within),
                    hint=f"sub-populations have one level: write 'within: {grand}'",
                )

    def _owners(self, part: str, known: set[str]) -> dict[str, str]:
        """Item id → the top-level population listing it (reporting items listed by two)."""
        owner: dict[str, str] = {}
        for i, p in enumerate(self.sc.populations):
            if p.within is not None:
                continue
            for k, x in enumerate(getattr(p, part)):
                if x not in known:
                    continue
                first = owner.setdefault(x, p.id)
                if first != p.id:
                    what = part[:-1]
                    self.err(
                        f"{what} '{x}' is in two populations: '{first}' and '{p.id}'",
                        ("populations", i, part, k),
                        expected=f"each {what} in exactly one top-level population",
                        found=f"'{x}' also in '{first}'",
                        hint="people cannot change population, so each "
                        f"{what} belongs to one; give '{p.id}' "
                        + ("a state of its own" if what == "state" else "its own")
                        + f" instead of '{x}'",
                    )
        return owner

    def _check_entrants(self, owner: Mapping[str, str], tops: list[str]) -> None:
        """Every inflow and delegation enters one top-level population, at its own states."""
        sc = self.sc
        entries: dict[str, list[str]] = {}
        for inf in sc.inflows:
            entries[inf.id] = (
                [inf.enter] if isinstance(inf.enter, str) else list(inf.enter.values())
            )
        for d in sc.delegations:
            entries[d.id] = [d.id]
        groups = (
            ("inflows", [x.id for x in sc.inflows]),
            ("delegations", [x.id for x in sc.delegations]),
        )
        for part, item_ids in groups:
            listed = self._owners(part, set(item_ids))
            for i, xid in enumerate(item_ids):
                if xid not in listed:
                    self.err(
                        f"{part[:-1]} '{xid}' belongs to no population",
                        (part, i, "id"),
                        expected=f"every {part[:-1]} listed in the '{part}' of one top-level "
                        "population",
                        found="not listed in any population",
                        hint=f"add '{xid}' to the {part} of one of: " + ", ".join(tops),
                    )
        for i, p in enumerate(sc.populations):
            for part in ("inflows", "delegations"):
                for k, x in enumerate(getattr(p, part)):
                    for s in dict.fromkeys(entries.get(x, [])):
                        if s in p.states or s not in self.ns.states:
                            continue
                        where = f", a state of '{owner[s]}'" if s in owner else ""
                        self.err(
                            f"{part[:-1]} '{x}' enters '{s}', which is not a state of "
                            f"population '{p.id}'",
                            ("populations", i, part, k),
                            expected=f"an entry state among the states of '{p.id}'",
                            found=repr(s) + where,
                            hint=f"add '{s}' to the states of '{p.id}', or list '{x}' under "
                            "the population that holds it",
                        )
                        break

    def _check_population_moves(self, owner: Mapping[str, str]) -> None:
        """Nobody moves from a state of one top-level population to a state of another."""
        rule_list = ("classification", "rules") in self.smap.values
        for mv in iter_moves(self.sc, rule_list=rule_list):
            if mv.target is None:
                continue
            for tgt in target_ids(mv.target):
                pb = owner.get(tgt)
                pa = next((owner[s] for s in mv.sources if s in owner and owner[s] != pb), None)
                if pb is None or pa is None:
                    continue
                src = next(s for s in mv.sources if owner.get(s) == pa)
                single = isinstance(mv.target, str)
                self.err(
                    f"{mv.what} moves people from population '{pa}' to population '{pb}'",
                    mv.path if single else (*mv.path, tgt),
                    key=not single,
                    expected=f"a state of population '{pa}'",
                    found=f"'{tgt}', a state of population '{pb}'",
                    hint=f"people cannot change population: give '{pa}' a state of its own "
                    f"(for example a copy of '{tgt}'), or list '{src}' and '{tgt}' in the "
                    "same population",
                )

    def _check_figure_populations(self, ids: list[str]) -> None:
        """The ``population`` of observations and estimates (needed when they count several)."""
        sc = self.sc
        figures: list[tuple[Path_, str, Measure, str | None]] = [
            (("observations", i), f"observation '{o.id}'", o.measure, o.population)
            for i, o in enumerate(sc.observations)
        ]
        if sc.calibration is not None:
            figures += [
                (("calibration", "estimates", i), f"estimate '{e.id}'", e.measure, e.population)
                for i, e in enumerate(sc.calibration.estimates)
            ]
        for base, what, m, declared in figures:
            if declared is not None:
                self.ref(declared, ids, "population", (*base, "population"))
                continue
            if not sc.populations:
                continue
            found = measure_populations(sc, m)
            if len(found) > 1:
                self.err(
                    f"{what} counts people of several populations: " + ", ".join(found),
                    (*base, "measure"),
                    expected="'population:' naming the population it is reported with",
                    found=", ".join(found),
                    hint="add 'population: ID' (the one it is shown with: a camp population "
                    "counting every prisoner is context, say), or measure one population's "
                    "states only",
                )

    def check_observations(self) -> None:
        sc = self.sc
        for i, o in enumerate(sc.observations):
            base: Path_ = ("observations", i)
            self._check_measure(o.measure, base)
            y0, y1 = sc.time.start.year, sc.time.end.year
            for j, row in enumerate(o.rows):
                years = (
                    [row.year]
                    if row.year is not None
                    else list(row.years)
                    if row.years is not None
                    else [row.date.year]
                    if row.date is not None
                    else []
                )
                if any(not (y0 <= y <= y1) for y in years):
                    self.err(
                        "observation row lies outside the simulated span",
                        (*base, "rows", j),
                        expected=f"years {y0}–{y1}",
                        found="–".join(map(str, years)),
                        hint="it will not be compared",
                        severity="warning",
                    )
                for k, s in enumerate(row.sources or []):
                    self.ref(s, sc.sources, "source", (*base, "rows", j, "sources", k))

    def check_engine_limits(self) -> None:
        """Counts the engine stores in fixed-width fields (flags, states, origins, age bands)."""
        sc = self.sc
        flags = sc.people.flags
        if len(flags) > MAX_FLAGS:
            self.err(
                f"more flags than the engine holds: {len(flags)}, the limit is {MAX_FLAGS}",
                ("people", "flags", MAX_FLAGS, "id"),
                expected=f"at most {MAX_FLAGS} flags (a person's flags are bits of a "
                f"{MAX_FLAGS}-bit field)",
                found=f"{len(flags)} flags",
                hint="merge flags that no hazard or rule tells apart, or drop ones nothing reads",
            )
        n_states = len(self.ns.states)
        if n_states > MAX_STATES:
            self.err(
                f"more states than the engine holds: {n_states:,}, the limit is {MAX_STATES:,}",
                ("states",),
                expected=f"at most {MAX_STATES:,} states, routes, queues, sentences and "
                "delegations together",
                found=f"{n_states:,}",
            )
        origins: list[str] = []
        for inf in sc.inflows:
            for o in inf.origins.values if inf.origins else {}:
                if o not in origins:
                    origins.append(o)
        for d in sc.delegations:
            if d.place not in origins:
                origins.append(d.place)
        if len(origins) > MAX_ORIGINS:
            self.err(
                f"more origins than the engine holds: {len(origins)}, the limit is {MAX_ORIGINS}",
                ("inflows",),
                expected=f"at most {MAX_ORIGINS} places named in inflow 'origins' and as "
                "delegation places",
                found=f"{len(origins)}",
                hint="group origins into regions",
            )
        if len(self.ns.age_bands) > MAX_AGE_BANDS:
            self.err(
                f"more age bands than the engine holds: {len(self.ns.age_bands)}, "
                f"the limit is {MAX_AGE_BANDS}",
                ("people", "age_bands"),
                expected=f"at most {MAX_AGE_BANDS} age bands",
                found=f"{len(self.ns.age_bands)}",
            )

    def check_graph(self) -> None:
        """Reachability of destinations, traps and cycles with no exit, reachable cohorts.

        Each way out of a state is *live* when it can move someone during the
        span: a hazard whose rate is above zero at some time of the span (to a
        target with a share above zero), the end of a duration, a wave or a
        reclassification dated inside the span. Checks on live ways find what
        is written but can never happen.
        """
        sc = self.sc
        exits = self._exits()
        edges: dict[str, set[str]] = {s: set() for s in self.ns.states}
        live: dict[str, set[str]] = {s: set() for s in self.ns.states}
        for src, outs in exits.items():
            for tgt, _, is_live in outs:
                edges.setdefault(src, set()).add(tgt)
                live.setdefault(src, set())
                if is_live:
                    live[src].add(tgt)
        # a reclassification moves people once, on its date: it makes states reachable
        # but is neither a lasting way out of a state nor part of a cycle
        jumps = {s: set(v) for s, v in edges.items()}
        live_jumps = {s: set(v) for s, v in live.items()}
        for rc in sc.reclassifications:
            in_span = sc.time.start <= rc.date <= sc.time.end and rc.share > 0
            for sel in rc.select.entered:
                jumps.setdefault(sel, set()).update(target_ids(rc.to))
                if in_span:
                    live_jumps.setdefault(sel, set()).update(target_ids(rc.to))
        entries: set[str] = set()
        for inf in sc.inflows:
            entries.update([inf.enter] if isinstance(inf.enter, str) else inf.enter.values())
        entries.update(d.id for d in sc.delegations)
        reach = _reachable(entries, jumps)
        live_reach = _reachable(entries, live_jumps)
        trapped = self._check_trapped(exits)
        cycles = self._check_cycles(live, live_reach, exits)
        # a destination behind a trap or a closed cycle is reported with it, not again
        self._check_destinations(reach, live_reach, exits, jumps, quiet=trapped or cycles)
        self._check_cohorts(live_jumps, live_reach)

    def _exits(self) -> dict[str, list[tuple[str, str, bool]]]:
        """Per state, every declared way out: (target, description, live)."""
        sc = self.sc
        out: dict[str, list[tuple[str, str, bool]]] = {s: [] for s in self.ns.states}

        def add(src: str, t: Target | None, label: str, is_live: bool) -> None:
            for tgt, share in _shares(t):
                out.setdefault(src, []).append((tgt, label, is_live and share > 0))

        for sid, h, _ in iter_hazards(sc):
            add(
                sid,
                h.to,
                f"'{h.id or sid + ' → ' + ', '.join(target_ids(h.to))}'",
                self.live(h.rate),
            )
        for s in sc.states:
            ends = s.duration is not None and s.duration.distribution != "life"
            add(s.id, s.then, "the end of its duration", ends)
        for r in sc.routes:
            add(r.id, r.to, "arrival", r.travel_time.distribution != "life")
        for q in sc.detention:
            if q.rate is not None:
                add(q.id, q.to, "the release rate", self.live(q.rate))
            for w in q.waves:
                in_span = sc.time.start <= w.date <= sc.time.end
                add(q.id, w.to or q.to, f"the wave of {w.date.isoformat()}", in_span)
        for se in sc.sentences:
            add(se.id, se.then, "the end of the term", se.duration.distribution != "life")
        for d in sc.delegations:
            p = d.defection_probability.value * (1 - d.surveillance.value)
            add(d.id, d.defect_to, "defection", p > 0)
            add(d.id, d.on_return, "the return", True)
        c = sc.classification
        if c is not None and c.rulesets is not None:
            for rules in c.rulesets.values():
                for rule in rules:
                    add(c.id, rule.sentence, "a classification rule", True)
        return out

    def live(self, r: Rate) -> bool:
        """Whether a rate is above zero at some time of the span."""
        return any(v > 0 for v in _values_in_span(r, *self.live_span))

    def _check_trapped(self, exits: dict[str, list[tuple[str, str, bool]]]) -> bool:
        """Report states that declare ways out none of which can ever be taken."""
        trapped: set[str] = set()
        for sid, outs in exits.items():
            if not outs or any(is_live for _, _, is_live in outs):
                continue
            trapped.add(sid)
            ways = sorted({label for _, label, _ in outs})
            self.err(
                f"nobody can leave '{sid}': every way out has rate zero",
                self._state_path(sid),
                expected="at least one hazard with a rate above zero during the span",
                found=_listing(ways) + " (rate zero throughout the span)",
                hint=f"give one of them a positive rate, or remove them to make '{sid}' "
                "a state where people stay",
            )
        return bool(trapped)

    def _check_destinations(
        self,
        reach: set[str],
        live_reach: set[str],
        exits: dict[str, list[tuple[str, str, bool]]],
        edges: dict[str, set[str]],
        *,
        quiet: bool,
    ) -> None:
        sc = self.sc
        place_kind = self.ns.places
        for i, s in enumerate(sc.states):
            is_dest = s.kind == "arrived" or (
                s.place is not None and place_kind.get(s.place) == "destination"
            )
            if not is_dest:
                continue
            if s.id not in reach:
                self.err(
                    f"destination '{s.id}' cannot be reached from where people enter",
                    ("states", i, "id"),
                    hint="add a transition or route leading to it, or check the 'to' ids",
                )
            elif s.id not in live_reach and not quiet:
                dead = sorted(
                    label
                    for src in live_reach
                    for tgt, label, is_live in exits.get(src, [])
                    if not is_live and s.id in _reachable([tgt], edges)
                )
                self.err(
                    f"destination '{s.id}' can only be reached through hazards with rate zero",
                    ("states", i, "id"),
                    expected="a way to it with a rate above zero during the span",
                    found=_listing(sorted(set(dead))) + " (rate zero throughout the span)",
                    hint="give the hazard leading to it a positive rate, or remove the destination",
                )

    def _check_cycles(
        self,
        live: dict[str, set[str]],
        live_reach: set[str],
        exits: dict[str, list[tuple[str, str, bool]]],
    ) -> bool:
        """Report groups of states people can move between but never leave."""
        found = False
        if self.sc.allow_closed_cycles:
            return found
        for comp in _sccs(live):
            if len(comp) == 1:
                continue
            out = set().union(*(live[c] for c in comp)) - comp
            if out or not comp & live_reach:
                continue
            names = ", ".join(sorted(comp))
            dead = sorted(
                {label for c in comp for tgt, label, ok in exits.get(c, []) if tgt not in comp}
            )
            self.err(
                f"states {names} form a cycle with no way out",
                self._state_path(sorted(comp)[0]),
                found=(_listing(dead) + " lead out, with rate zero throughout the span")
                if dead
                else None,
                hint="add a hazard leading out of the cycle (e.g. arrest, death, "
                "arrival), or mark the end of the journey as a state with no "
                "exits (abstract models may set 'allow_closed_cycles: true')",
            )
            found = True
        return found

    def _check_cohorts(self, live: dict[str, set[str]], live_reach: set[str]) -> None:
        """Reclassifications whose cohort selector cannot match anyone."""
        sc = self.sc
        t = sc.time
        kinds = {s.id: s.kind for s in sc.states}
        classify = sc.classification.id if sc.classification is not None else None
        for i, rc in enumerate(sc.reclassifications):
            if not t.start <= rc.date <= t.end:
                continue  # reported (or marked intentional) with the date
            sel = rc.select
            base: Path_ = ("reclassifications", i, "select")
            reason: tuple[str, Path_, str, str] | None = None
            if sel.to < t.start or sel.from_ > t.end:
                reason = (
                    "its cohort window lies outside the simulated span",
                    (*base, "from"),
                    f"a window overlapping {t.start.isoformat()} to {t.end.isoformat()}",
                    f"{sel.from_.isoformat()} to {sel.to.isoformat()}",
                )
            elif sel.from_ > rc.date:
                reason = (
                    "its cohort window starts after the reclassification date",
                    (*base, "from"),
                    f"a window starting on or before {rc.date.isoformat()}",
                    sel.from_.isoformat(),
                )
            elif not set(sel.entered) & live_reach:
                reason = (
                    "nobody can enter the states it selects from",
                    (*base, "entered"),
                    "a state people can reach",
                    ", ".join(sel.entered),
                )
            else:
                pool = set(sel.currently_in) if sel.currently_in is not None else set(live)
                pool -= set(sel.not_in) | set(target_ids(rc.to))
                pool -= {s for s, k in kinds.items() if k == "dead"}
                pool.discard(classify or "")
                after = _reachable(sel.entered, live)
                if not pool:
                    reason = (
                        "every state it could move people from is excluded",
                        (*base, "currently_in") if sel.currently_in is not None else base,
                        "states not in 'not_in', not dead and not the target",
                        ", ".join(sorted(sel.currently_in or [])) or "all states excluded",
                    )
                elif sel.currently_in is not None and not pool & after:
                    reason = (
                        "nobody who entered "
                        + ", ".join(sel.entered)
                        + " can be in "
                        + ", ".join(sel.currently_in),
                        (*base, "currently_in"),
                        "states reachable from the ones in 'entered'",
                        ", ".join(sel.currently_in),
                    )
            if reason is not None:
                why, path, expected, found = reason
                self.err(
                    f"reclassification '{rc.id}' cannot select anyone: {why}",
                    path,
                    expected=expected,
                    found=found,
                    hint="check the states and dates of 'select'",
                )

    def _state_path(self, sid: str) -> Path_:
        sc = self.sc
        id_lists: tuple[tuple[str, list[str]], ...] = (
            ("states", [s.id for s in sc.states]),
            ("routes", [r.id for r in sc.routes]),
            ("detention", [q.id for q in sc.detention]),
            ("sentences", [s2.id for s2 in sc.sentences]),
            ("delegations", [d.id for d in sc.delegations]),
        )
        for sec, items in id_lists:
            for i, item_id in enumerate(items):
                if item_id == sid:
                    return (sec, i, "id")
        if sc.classification is not None and sc.classification.id == sid:
            return ("classification", "id")
        if sid in sc.transitions:
            return ("transitions", sid)
        return ()


def _shares(t: Target | None) -> list[tuple[str, float]]:
    """A target as (state, share) pairs."""
    if t is None:
        return []
    if isinstance(t, str):
        return [(t, 1.0)]
    return list(t.values.items())


def _listing(items: list[str], limit: int = 4) -> str:
    """``a, b, c and 2 more``."""
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f" and {len(items) - limit} more"


def _values_in_span(r: Rate, start: dt.date, end: dt.date) -> list[float]:
    """The per-year values a rate takes at some time between ``start`` and ``end``.

    Before the first year of a ``by_year`` table, or the first date of a
    ``schedule``, the first value applies (as in the compiled hazards).
    """
    if r.per_year is not None:
        return [r.per_year]
    if r.per_day is not None:
        return [r.per_day * DAYS_PER_YEAR]
    if r.mean_days is not None:
        return [DAYS_PER_YEAR / r.mean_days]
    if r.probability is not None and r.within_days is not None:
        return [-math.log1p(-r.probability) / r.within_days * DAYS_PER_YEAR]
    points: list[tuple[dt.date, float]] = []
    if r.by_year:
        for y, v in sorted(r.by_year.items()):
            if FIRST_YEAR <= y <= LAST_YEAR:
                points.append((dt.date(y, 1, 1), v))
    elif r.schedule:
        points = sorted((p.from_, p.per_year) for p in r.schedule)
    if not points:
        return []
    at_start = points[0][1]
    for d, v in points:
        if d <= start:
            at_start = v
    return [at_start] + [v for d, v in points if start < d <= end]


def _reachable(starts: Iterable[str], edges: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    stack = [s for s in starts if s in edges]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        stack.extend(m for m in edges.get(n, ()) if m not in seen)
    return seen


def _sccs(edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[set[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in edges:
                    continue
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(edges.get(nxt, ())))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp: set[str] = set()
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.add(w)
                    if w == node:
                        break
                out.append(comp)
    return out


def walk_models(obj: object, path: Path_) -> Iterator[tuple[Path_, object]]:
    """Every pydantic model inside ``obj`` with its field path."""
    if isinstance(obj, BaseModel):
        yield path, obj
        for name, f in type(obj).model_fields.items():
            if isinstance(obj, NumberMap) and name == "values":
                continue
            key = f.alias or name
            yield from walk_models(getattr(obj, name), (*path, key))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from walk_models(v, (*path, i))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from walk_models(v, (*path, str(k)))


def validate_scenario(
    sc: Scenario, smap: SourceMap, *, span: SpanOrigin | None = None, variant: str | None = None
) -> list[Issue]:
    """All meaning problems of a shape-valid scenario (errors and warnings).

    Args:
        sc: The scenario.
        smap: Where each value was written.
        span: Where the span was written and what it was before variants and
            overrides (events outside a span changed that way are warnings,
            not errors). By default, the files the source map gives.
        variant: The variant applied, if any (a calibration unknown whose
            object the variant removed is then a warning, not an error).

    Returns:
        Errors and warnings, in the order found.
    """
    return _Checker(sc, smap, span, variant).run()
