"""Individual histories told as plain sentences, read from a results bundle.

The wording is generic (it follows the kinds of states and events, not a
particular country), so any scenario's journeys read naturally: "crosses",
"hides in", "is arrested and held in", "is handed over at", "is interrogated
at", "is sentenced to", "is released", "arrives in". Names and places come
from the bundle's :class:`~crossings.results.bundle.ScenarioInfo`, so the
scenario file is not needed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from crossings.results.bundle import Bundle, ScenarioInfo
from crossings.results.views import story_text

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


def _place(info: ScenarioInfo, sid: str) -> str | None:
    st = info.state(sid)
    if st is None or st.place is None:
        return None
    place = info.place(st.place)
    if place is None:
        return None
    name = place.name
    return name.replace(" (", ", ").replace(")", "") if "(" in name else name


def _phrase(info: ScenarioInfo, sid: str) -> str:
    st = info.state(sid)
    name = st.name if st is not None else sid.replace("_", " ")
    kind = st.kind if st is not None else "other"
    text = _ENTER_VERB.get(kind, "{name}").format(name=name)
    place = _place(info, sid)
    if place:
        first = place.split()[0].strip(",").lower()
        if kind == "sentence" or first not in name.lower():
            text += f" ({place})"
    return text


def describe_journey(
    info: ScenarioInfo, agent: dict[str, Any], events: list[dict[str, Any]]
) -> str:
    """One agent's history as a short paragraph.

    When the scenario gives its states ``story`` phrases, the history is told
    with them (:func:`crossings.results.views.story_text`, which also says what
    interrogation detected); otherwise with generic phrases by kind of state.

    Args:
        info: The bundle's scenario description (names and places).
        agent: The agent's attributes (a record of ``journeys.jsonl``).
        events: The agent's events, in order (its ``events``).
    """
    told = story_text(info, agent, events)
    if told is not None:
        return told
    sex = _SEX_WORD.get(str(agent["sex"]), "person")
    origin = str(agent["origin"])
    place = info.place(origin)
    origin_name = place.name if place is not None else origin
    others = int(agent["household"]) - 1
    family = (
        f", leaving {others} family member{'s' if others != 1 else ''} behind" if others > 0 else ""
    )
    parts = [f"A {sex} aged {agent['age_band']} from {origin_name}{family}."]
    cls = {s.id for s in info.states if s.kind == "classification"}
    for ev in events:
        when = _date(str(ev["date"]))
        to = str(ev["to_state"])
        kind = str(ev["kind"])
        if to in cls:
            continue
        if kind == "flag":
            flag = str(ev["detail"])
            parts.append(f"By {when}: {info.flags.get(flag, flag.replace('_', ' '))}.")
        elif kind == "classified":
            parts.append(f"On {when}, after interrogation, {_phrase(info, to)}.")
        elif kind == "wave":
            parts.append(f"On {when} sent back in a mass repatriation: {_phrase(info, to)}.")
        elif kind == "reclassified":
            parts.append(f"On {when} re-arrested under a new rule: {_phrase(info, to)}.")
        elif kind == "entry" and str(ev["step"]) == "0":
            parts.append(f"At the start ({when}): {_phrase(info, to)}.")
        else:
            parts.append(f"On {when} {_phrase(info, to)}.")
    end = _date(info.end.isoformat())
    final = str(agent["final_state"])
    if events and str(events[-1]["to_state"]) == final:
        parts.append(f"Still there on {end}.")
    else:
        parts.append(f"On {end}: {_phrase(info, final)}.")
    return " ".join(parts)


def pick_journeys(records: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """The ``n`` most varied histories, women and men alternating.

    Most kinds of events first, then most events.
    """
    ranked = sorted(
        records,
        key=lambda r: (
            -len({e["kind"] for e in r.get("events", [])}),
            -len(r.get("events", [])),
            int(r["agent"]),
        ),
    )
    by_sex = [[r for r in ranked if r["sex"] == s] for s in ("female", "male")]
    picked: list[dict[str, Any]] = []
    while len(picked) < n and any(by_sex):
        for group in by_sex:
            if group and len(picked) < n:
                picked.append(group.pop(0))
    return picked


def journeys_text(bundle: Bundle, n: int = 5) -> list[str]:
    """The histories of ``n`` sampled agents of a results bundle, as paragraphs.

    Args:
        bundle: An opened results folder.
        n: How many histories.

    Raises:
        BundleError: If the journeys file is damaged.
    """
    return [
        describe_journey(bundle.scenario, rec, rec.get("events", []))
        for rec in pick_journeys(bundle.journeys(), n)
    ]
