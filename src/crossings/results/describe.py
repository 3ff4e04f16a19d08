"""The description a results bundle carries of its scenario (``scenario.json``).

Built once, when results are written, from the loaded scenario and its
compiled model: the only place where scenario knowledge flows into a bundle.
Readers use :class:`~crossings.results.bundle.ScenarioInfo` and never reload
the scenario.
"""

from __future__ import annotations

import datetime as dt

from crossings.compile.model import CompiledModel
from crossings.measure import rows_outside_span
from crossings.results.bundle import (
    EventInfo,
    HazardInfo,
    LimitInfo,
    ObservationInfo,
    ParameterInfo,
    PlaceInfo,
    PolicyInfo,
    PopulationInfo,
    ScatterInfo,
    ScenarioInfo,
    SourceInfo,
    StateInfo,
)
from crossings.scenario.load import LoadedScenario
from crossings.scenario.provenance import parameter_table
from crossings.scenario.schema import Measure


def measure_text(m: Measure) -> str:
    """What a measure counts, in words built from its state ids."""
    if m.entries is not None:
        return "people entering " + ", ".join(m.entries)
    if m.stock is not None:
        return "people in " + ", ".join(m.stock)
    if m.flow is not None:
        return f"moves from {m.flow['from']} to {m.flow['to']}"
    if m.wave is not None:
        return f"people sent back by wave {m.wave}"
    if m.family is not None:
        if list(m.family) == ["any"]:
            return "family members affected by any consequence (each person once)"
        return "family members affected: " + ", ".join(m.family) + " (summed)"
    return ""


def describe(loaded: LoadedScenario, model: CompiledModel) -> ScenarioInfo:
    """The bundle's description of a scenario and its compiled model."""
    sc = loaded.scenario
    m = model
    place_of = {
        s: (m.place_ids[p] if p >= 0 else None)
        for s, p in zip(m.state_ids, m.state_place, strict=True)
    }
    pops = m.population_ids
    top = [p for p in range(len(pops)) if m.population_parent[p] < 0]
    subs = [p for p in range(len(pops)) if m.population_parent[p] >= 0]
    declared = bool(sc.populations)
    states = [
        StateInfo(
            id=sid,
            name=name,
            kind=kind,
            section=section,
            place=place_of[sid],
            population=pops[int(m.state_population[i])] if declared else None,
            subpopulations=[pops[p] for p in subs if m.population_member[p, i]],
            story=m.state_stories[i] or None,
        )
        for i, (sid, name, kind, section) in enumerate(
            zip(m.state_ids, m.state_names, m.state_kinds, m.state_section, strict=True)
        )
    ]
    populations = (
        [
            PopulationInfo(
                id=pops[p],
                name=m.population_names[p],
                headline=bool(m.population_headline[p]),
                context=bool(m.population_context[p]),
                within=pops[int(m.population_parent[p])] if m.population_parent[p] >= 0 else None,
                description=m.population_descriptions[p],
            )
            for p in [*top, *subs]
        ]
        if declared
        else []
    )
    places = [
        PlaceInfo(
            id=p.id,
            name=p.name or p.id,
            kind=p.kind,
            country=p.country,
            lat=p.lat,
            lon=p.lon,
        )
        for p in sc.places
    ]
    last = m.end + dt.timedelta(days=1)
    policies = [
        PolicyInfo(id=pid, name=name or pid, start=m.step_date(a), end=min(m.step_date(b), last))
        for pid, name, a, b in m.policy_spans
    ]
    outside = rows_outside_span(sc, model)
    observations = [
        ObservationInfo(
            id=o.id,
            name=o.name or o.id.replace("_", " "),
            unit=o.unit,
            kind=o.kind,
            measure=measure_text(o.measure),
            sources=sorted({*(o.sources or []), *(s for r in o.rows for s in (r.sources or []))}),
            rows_outside_span=outside.get(o.id, 0),
            population=o.population,
            role=o.role,
            reason=o.reason,
        )
        for o in sc.observations
    ]
    estimates = {
        e.id: e.name or e.id.replace("_", " ")
        for e in (sc.calibration.estimates if sc.calibration else [])
    }
    sources = [
        SourceInfo(
            id=sid,
            citation=s.citation,
            url=s.url,
            publisher=s.publisher,
            date=str(s.date) if s.date is not None else None,
            confidence=s.confidence,
            note=s.note,
        )
        for sid, s in sc.sources.items()
    ]
    parameters = [
        ParameterInfo(
            path=r.path,
            label=r.label,
            kind=r.kind,
            value=r.value,
            sources=list(r.sources),
            assumption=r.assumption,
            note=r.note,
        )
        for r in parameter_table(sc)
    ]
    hz = m.hazards
    hazards = []
    for c in range(hz.target.size):
        t = int(hz.target[c])
        hazards.append(
            HazardInfo(
                id=hz.ids[c] if hz.ids else hz.label[c],
                names=list(hz.names[c]) if hz.names else [],
                from_state=m.state_ids[int(hz.state[c])],
                to_state=m.state_ids[t] if t >= 0 else "flag:" + m.flag_ids[-t - 1],
            )
        )
    waves: dict[str, EventInfo] = {}  # one wave id may empty several queues: one per id
    for w, wid in enumerate(m.wave_ids):
        waves.setdefault(
            wid,
            EventInfo(
                id=wid,
                kind="wave",
                date=m.step_date(int(m.wave_step[w])),
                happened=bool(m.wave_active[w]),
            ),
        )
    events = [*waves.values()] + [
        EventInfo(id=rid, kind="reclassification", date=m.step_date(int(m.rc_step[k])))
        for k, rid in enumerate(m.rc_ids)
    ]
    consequence_names = {c: c.replace("_", " ") for c in m.consequence_ids}
    variant = sc.variants.get(loaded.variant) if loaded.variant else None
    om = sc.calibration.observation_model if sc.calibration else None
    scatter = (
        ScatterInfo(
            dispersion=0.0 if om.counts == "poisson" else om.dispersion,
            range_sd=om.range_sd,
            declared=True,
        )
        if om is not None
        else ScatterInfo()
    )
    return ScenarioInfo(
        name=sc.name,
        title=sc.title,
        description=sc.description,
        variant=loaded.variant,
        variant_description=variant.description if variant is not None else None,
        start=m.start,
        end=m.end,
        step_days=m.step_days,
        states=states,
        places=places,
        flags=dict(zip(m.flag_ids, m.flag_names, strict=True)),
        policies=policies,
        observations=observations,
        estimates=estimates,
        sources=sources,
        parameters=parameters,
        hazards=hazards,
        consequences=consequence_names,
        events=events,
        populations=populations,
        scatter=scatter,
        limits=[LimitInfo(id=x.id, what=x.what, effect=x.effect) for x in sc.limits],
        age_bands=list(m.age_ids),
        origins=list(m.origin_ids),
    )
