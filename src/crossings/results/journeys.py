"""Individual histories told as plain sentences."""

from __future__ import annotations

from typing import cast

import pandas as pd

from crossings.compile.model import CompiledModel
from crossings.results.results import Results

_SEX_WORD = {"female": "woman", "male": "man"}


def _state_phrase(m: CompiledModel, sid: str) -> str:
    i = m.state_index(sid)
    name = m.state_names[i]
    p = int(m.state_place[i])
    if p >= 0 and m.place_names[p].lower() not in name.lower():
        return f"{name} ({m.place_names[p]})"
    return name


def _origin_phrase(m: CompiledModel, origin: str) -> str:
    if origin in m.place_ids:
        return m.place_names[m.place_ids.index(origin)]
    return origin


def describe_journey(m: CompiledModel, agent: dict[str, object], events: pd.DataFrame) -> str:
    """One agent's history as a short paragraph.

    Args:
        m: The compiled model (for names and places).
        agent: The agent's attributes (a row of :meth:`Results.agents_frame`).
        events: The agent's events (rows of :meth:`Results.journeys_frame`).
    """
    sex = _SEX_WORD.get(str(agent["sex"]), "person")
    origin = _origin_phrase(m, str(agent["origin"]))
    head = (f"Person {agent['agent']}: a {sex} aged {agent['age_band']} from {origin}, "
            f"household of {agent['household']}.")
    parts = [head]
    for ev in events.itertuples(index=False):
        date = ev.date
        kind = ev.kind
        to = str(ev.to_state)
        if kind == "entry":
            parts.append(f"On {date} enters: {_state_phrase(m, to)}.")
        elif kind == "flag":
            i = m.flag_ids.index(str(ev.detail))
            parts.append(f"By {date}: {m.flag_names[i]}.")
        elif kind == "classified":
            parts.append(f"On {date} classified and sentenced: {_state_phrase(m, to)}.")
        elif kind == "wave":
            parts.append(f"On {date} sent back in a repatriation wave: {_state_phrase(m, to)}.")
        elif kind == "reclassified":
            parts.append(f"On {date} re-arrested under a new rule: {_state_phrase(m, to)}.")
        elif to == m.state_ids[m.classify_node] if m.classify_node >= 0 else False:
            continue
        else:
            verb = "time is up; moves to" if kind == "duration" else "moves to"
            parts.append(f"On {date} {verb}: {_state_phrase(m, to)}.")
    final = _state_phrase(m, str(agent["final_state"]))
    parts.append(f"At the end of the simulation ({m.end.isoformat()}): {final}.")
    return " ".join(parts)


def journeys_text(results: Results, n: int = 5, run: int = 0,
                  prefer_eventful: bool = True) -> list[str]:
    """The histories of ``n`` sampled agents as paragraphs.

    Args:
        results: Simulation results.
        n: How many histories.
        run: Which run.
        prefer_eventful: Pick the agents with the most events first (ties by id).
    """
    agents = results.agents_frame(run)
    events = results.journeys_frame(run)
    if agents.empty:
        return []
    counts = events.groupby("agent").size() if len(events) else pd.Series(dtype=int)
    agents = agents.assign(n_events=agents["agent"].map(counts).fillna(0).astype(int))
    if prefer_eventful:
        agents = agents.sort_values(["n_events", "agent"], ascending=[False, True])
    out = []
    for rec in agents.head(n).to_dict("records"):
        ev = events[events["agent"] == rec["agent"]] if len(events) else events
        out.append(describe_journey(results.model, cast("dict[str, object]", rec), ev))
    return out
