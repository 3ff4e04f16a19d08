"""Individual histories told as plain sentences.

The wording is generic (it follows the kinds of states and events, not a
particular country), so any scenario's journeys read naturally: "crosses",
"hides in", "is arrested and held in", "is handed over at", "is interrogated
at", "is sentenced to", "is released", "arrives in".
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pandas as pd

from crossings.compile.model import CompiledModel
from crossings.results.results import Results

_SEX_WORD = {"female": "woman", "male": "man"}
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# verb phrase by the kind of state entered
_ENTER_VERB = {
    "crossing": "sets out: {name}",
    "hiding": "{name}",
    "travel": "{name}",
    "transit": "reaches {name}",
    "detained": "is arrested and {name}",
    "interrogation": "is held for interrogation ({name})",
    "sentence": "is sentenced: {name}",
    "released": "is {name}",
    "arrived": "has {name}",
    "dead": "dies",
    "home": "is {name}",
    "delegation": "travels abroad with the {name}",
    "abroad": "is abroad: {name}",
}


def _date(iso: str) -> str:
    d = dt.date.fromisoformat(iso)
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def _place(m: CompiledModel, sid: str) -> str | None:
    p = int(m.state_place[m.state_index(sid)])
    if p < 0:
        return None
    name = m.place_names[p]
    return name.replace(" (", ", ").replace(")", "") if "(" in name else name


def _phrase(m: CompiledModel, sid: str) -> str:
    i = m.state_index(sid)
    name = m.state_names[i]
    kind = m.state_kinds[i]
    text = _ENTER_VERB.get(kind, "{name}").format(name=name)
    place = _place(m, sid)
    if place:
        first = place.split()[0].strip(",").lower()
        if kind == "sentence" or first not in name.lower():
            text += f" ({place})"
    return text


def describe_journey(m: CompiledModel, agent: dict[str, Any], events: pd.DataFrame) -> str:
    """One agent's history as a short paragraph.

    Args:
        m: The compiled model (for names and places).
        agent: The agent's attributes (a row of :meth:`Results.agents_frame`).
        events: The agent's events (rows of :meth:`Results.journeys_frame`).
    """
    sex = _SEX_WORD.get(str(agent["sex"]), "person")
    origin = str(agent["origin"])
    origin_name = m.place_names[m.place_ids.index(origin)] if origin in m.place_ids else origin
    others = int(agent["household"]) - 1
    family = (
        f", leaving {others} family member{'s' if others != 1 else ''} behind" if others > 0 else ""
    )
    parts = [f"A {sex} aged {agent['age_band']} from {origin_name}{family}."]
    cls = m.state_ids[m.classify_node] if m.classify_node >= 0 else None
    for ev in events.itertuples(index=False):
        when = _date(str(ev.date))
        to = str(ev.to_state)
        kind = str(ev.kind)
        if to == cls:
            continue
        if kind == "flag":
            i = m.flag_ids.index(str(ev.detail))
            parts.append(f"By {when}: {m.flag_names[i]}.")
        elif kind == "classified":
            parts.append(f"On {when}, after interrogation, {_phrase(m, to)}.")
        elif kind == "wave":
            parts.append(f"On {when} sent back in a mass repatriation: {_phrase(m, to)}.")
        elif kind == "reclassified":
            parts.append(f"On {when} re-arrested under a new rule: {_phrase(m, to)}.")
        elif kind == "entry" and str(ev.step) == "0":
            parts.append(f"At the start ({when}): {_phrase(m, to)}.")
        else:
            parts.append(f"On {when} {_phrase(m, to)}.")
    end = _date(m.end.isoformat())
    final = str(agent["final_state"])
    if not events.empty and str(events.iloc[-1].to_state) == final:
        parts.append(f"Still there on {end}.")
    else:
        parts.append(f"On {end}: {_phrase(m, final)}.")
    return " ".join(parts)


def journeys_text(results: Results, n: int = 5, run: int = 0) -> list[str]:
    """The histories of ``n`` sampled agents as paragraphs.

    The most varied histories come first (most kinds of events, then most
    events), alternating women and men.

    Args:
        results: Simulation results.
        n: How many histories.
        run: Which run.
    """
    agents = results.agents_frame(run)
    events = results.journeys_frame(run)
    if agents.empty:
        return []
    if len(events):
        kinds = events.groupby("agent")["kind"].nunique()
        counts = events.groupby("agent").size()
    else:
        kinds = counts = pd.Series(dtype=int)
    agents = agents.assign(
        n_kinds=agents["agent"].map(kinds).fillna(0).astype(int),
        n_events=agents["agent"].map(counts).fillna(0).astype(int),
    ).sort_values(["n_kinds", "n_events", "agent"], ascending=[False, False, True])
    by_sex = [agents[agents["sex"] == s].to_dict("records") for s in ("female", "male")]
    picked: list[dict[str, Any]] = []
    while len(picked) < n and any(by_sex):
        for group in by_sex:
            if group and len(picked) < n:
                picked.append(cast("dict[str, Any]", group.pop(0)))
    out = []
    for rec in picked:
        ev = events[events["agent"] == rec["agent"]] if len(events) else events
        out.append(describe_journey(results.model, rec, ev))
    return out
