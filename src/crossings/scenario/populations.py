"""Populations: which states, inflows and delegations belong to which group of people.

A scenario may declare ``populations`` (see :class:`~crossings.scenario.schema.Population`):
the people it is about (the *headline* population), people shown apart as
*context* (a camp population that was there before the simulated span) and
sub-populations within them. Populations are by state: every state belongs
to exactly one top-level population, and people never move from one
top-level population to another, so every count of a state is a count of
one population. A scenario that declares none has one implicit headline
population, ``everyone``, holding every state.

This module resolves the declared populations (after validation) and tells
which populations the states a measure counts belong to. The checks live in
:mod:`crossings.scenario.validate`.
"""

from __future__ import annotations

from dataclasses import dataclass

from crossings.scenario.schema import Measure, Scenario

IMPLICIT_ID = "everyone"
"""Id of the one headline population of a scenario that declares none."""


@dataclass(frozen=True)
class ResolvedPopulation:
    """One population with its states.

    Attributes:
        id: Population id.
        name: Readable name.
        description: Longer description (``""`` if none).
        headline: Whether it is the headline population.
        context: Whether it is shown apart as context.
        parent: Id of the population it lies within (``None``: top-level).
        states: Its state ids.
        inflows: Ids of the inflows entering it.
        delegations: Ids of the delegations entering it.
    """

    id: str
    name: str
    description: str
    headline: bool
    context: bool
    parent: str | None
    states: frozenset[str]
    inflows: frozenset[str]
    delegations: frozenset[str]


def state_namespace(sc: Scenario) -> dict[str, str]:
    """Every id that can be a state target, mapped to the section defining it.

    In the order the compiler numbers the states (the first definition of a
    duplicated id wins; duplicates are reported by validation).
    """
    out: dict[str, str] = {}
    for s in sc.states:
        out.setdefault(s.id, "states")
    for r in sc.routes:
        out.setdefault(r.id, "routes")
    for q in sc.detention:
        out.setdefault(q.id, "detention")
    for s2 in sc.sentences:
        out.setdefault(s2.id, "sentences")
    for d in sc.delegations:
        out.setdefault(d.id, "delegations")
    if sc.classification is not None:
        out.setdefault(sc.classification.id, "classification")
    return out


def resolve_populations(sc: Scenario) -> list[ResolvedPopulation]:
    """The populations of a validated scenario, in the order written.

    Returns:
        The declared populations, or the one implicit ``everyone`` holding
        every state, inflow and delegation when none is declared.
    """
    if not sc.populations:
        return [
            ResolvedPopulation(
                id=IMPLICIT_ID,
                name=IMPLICIT_ID,
                description="",
                headline=True,
                context=False,
                parent=None,
                states=frozenset(state_namespace(sc)),
                inflows=frozenset(i.id for i in sc.inflows),
                delegations=frozenset(d.id for d in sc.delegations),
            )
        ]
    return [
        ResolvedPopulation(
            id=p.id,
            name=p.name or p.id,
            description=p.description or "",
            headline=p.headline,
            context=p.context,
            parent=p.within,
            states=frozenset(p.states),
            inflows=frozenset(p.inflows),
            delegations=frozenset(p.delegations),
        )
        for p in sc.populations
    ]


def top_level_of(sc: Scenario) -> dict[str, str]:
    """State id → id of its top-level population (for a validated scenario)."""
    out: dict[str, str] = {}
    for p in resolve_populations(sc):
        if p.parent is None:
            for s in p.states:
                out.setdefault(s, p.id)
    return out


def measured_states(sc: Scenario, m: Measure) -> list[str]:
    """The states whose people a measure counts.

    Entries and stocks count their states; a flow its two ends; a wave the
    queues it empties; a family measure the states whose entry affects
    families with those consequences.
    """
    if m.entries is not None:
        return list(m.entries)
    if m.stock is not None:
        return list(m.stock)
    if m.flow is not None:
        return [m.flow["from"], m.flow["to"]]
    if m.wave is not None:
        return [q.id for q in sc.detention if any(w.id == m.wave for w in q.waves)]
    if m.family is not None and sc.families is not None:
        wanted = set(m.family)
        if "any" in wanted:
            return [s for o in sc.families.outcomes for s in o.on_enter]
        return [
            s
            for o in sc.families.outcomes
            if wanted & set(o.consequences.values)
            for s in o.on_enter
        ]
    return []


def measure_populations(sc: Scenario, m: Measure) -> list[str]:
    """Ids of the top-level populations whose states a measure counts, in order."""
    where = top_level_of(sc)
    out: list[str] = []
    for s in measured_states(sc, m):
        p = where.get(s)
        if p is not None and p not in out:
            out.append(p)
    return out


def population_of_measure(sc: Scenario, m: Measure, declared: str | None) -> str:
    """The population an observation or estimate is reported for.

    Args:
        sc: A validated scenario.
        m: What it measures.
        declared: Its ``population``, if written.

    Returns:
        ``declared`` if given, else the one top-level population holding its
        states (the headline population if it counts none).
    """
    if declared is not None:
        return declared
    found = measure_populations(sc, m)
    if len(found) == 1:
        return found[0]
    return next(p.id for p in resolve_populations(sc) if p.headline)


__all__ = [
    "IMPLICIT_ID",
    "ResolvedPopulation",
    "measure_populations",
    "measured_states",
    "population_of_measure",
    "resolve_populations",
    "state_namespace",
    "top_level_of",
]
