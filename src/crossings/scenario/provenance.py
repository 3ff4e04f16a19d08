"""Where every number of a scenario comes from: one row per sourced object."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crossings.scenario.errors import format_path
from crossings.scenario.schema import (
    Duration,
    NumberMap,
    Param,
    Rate,
    Scenario,
    Sourced,
)
from crossings.scenario.validate import walk_models


@dataclass(frozen=True)
class ParameterRow:
    """One sourced object of a scenario.

    Attributes:
        path: Field path (``transitions.hiding[0].rate``): the parameter's id
            for ``--set``, calibration unknowns and evidence links.
        kind: The kind of object (Param, Rate, Shares, Duration, …).
        value: A short text of its numbers.
        sources: Source ids it cites.
        assumption: The stated assumption, if any.
        note: Free-text note.
    """

    path: str
    kind: str
    value: str
    sources: tuple[str, ...]
    assumption: str | None
    note: str | None
    label: str = ""
    """The parameter as a phrase of the scenario's own names (what a reader sees)."""

    @property
    def labelled(self) -> bool:
        """Whether the numbers name a source or an assumption."""
        return bool(self.sources) or bool(self.assumption)


def _fmt(x: float) -> str:
    return f"{x:g}"


def describe_value(obj: Sourced) -> str:
    """A short text of the numbers an object holds."""
    if isinstance(obj, Param):
        return _fmt(obj.value)
    if isinstance(obj, NumberMap):
        items = list(obj.values.items())
        text = ", ".join(f"{k}: {_fmt(v)}" for k, v in items[:6])
        return text + (" …" if len(items) > 6 else "")
    if isinstance(obj, Rate):
        if obj.per_year is not None:
            return f"{_fmt(obj.per_year)} per year"
        if obj.per_day is not None:
            return f"{_fmt(obj.per_day)} per day"
        if obj.mean_days is not None:
            return f"mean wait {_fmt(obj.mean_days)} days"
        if obj.probability is not None:
            return f"P = {_fmt(obj.probability)} within {_fmt(obj.within_days or 0)} days"
        if obj.by_year is not None:
            ys = sorted(obj.by_year)
            return (
                f"by year {ys[0]}–{ys[-1]}: "
                + ", ".join(f"{y}: {_fmt(obj.by_year[y])}" for y in ys[:4])
                + (" …" if len(ys) > 4 else "")
            )
        if obj.schedule is not None:
            return "schedule: " + ", ".join(
                f"from {p.from_}: {_fmt(p.per_year)}/yr" for p in obj.schedule[:3]
            )
    if isinstance(obj, Duration):
        parts: list[str] = [obj.distribution]
        for f in ("value", "min", "max", "mean", "sd", "median", "sigma"):
            v = getattr(obj, f)
            if v is not None:
                parts.append(f"{f} {_fmt(v)}")
        return " ".join(parts) + f" ({obj.unit})"
    fields = []
    for name in type(obj).model_fields:
        v = getattr(obj, name)
        if isinstance(v, int | float) and not isinstance(v, bool):
            fields.append(f"{name} {_fmt(float(v))}")
    return ", ".join(fields) or "(dated event or rule)"


def parameter_table(sc: Scenario) -> list[ParameterRow]:
    """Every sourced object of the scenario, in file order."""
    rows = []
    for path, obj in walk_models(sc, ()):
        if not isinstance(obj, Sourced):
            continue
        if isinstance(obj, NumberMap) and not obj.values:
            continue
        if (
            isinstance(obj, Duration)
            and obj.distribution == "life"
            and not (obj.sources or obj.assumption)
        ):
            continue  # "life" holds no number
        rows.append(
            ParameterRow(
                path=format_path(path),
                kind=type(obj).__name__,
                value=describe_value(obj),
                sources=tuple(obj.sources or ()),
                assumption=obj.assumption,
                note=obj.note,
                label=parameter_label(sc, path),
            )
        )
    return rows


_FIELD_WORDS: dict[str, str] = {
    "duration": "length of stay",
    "travel_time": "travel time",
    "to": "where people go",
    "modifiers": "multipliers by group",
    "sex": "share by sex",
    "female_share": "share of women",
    "origins": "shares by place of origin",
    "initial": "people present at the start",
    "size": "number of members",
    "defection_probability": "probability of defecting",
    "surveillance": "surveillance",
    "on_return": "what happens on return",
    "share": "share moved",
    "consequences": "consequences for the family",
    "household_size": "household size",
    "age_bands": "age bands",
    "sentence": "sentence shares",
    "observation_model": "observation model",
    "approximation": "approximation of long stays",
}


def _item_name(item: object) -> str:
    """The readable name of a scenario item: its name, else its id spaced out."""
    name = getattr(item, "name", None)
    if isinstance(name, str) and name:
        return name
    ident = getattr(item, "id", None)
    return str(ident).replace("_", " ") if ident else ""


def _at(obj: object, key: str | int) -> object:
    if isinstance(key, int):
        return obj[key] if isinstance(obj, list) and 0 <= key < len(obj) else None
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, key, None)


def _field_word(obj: object, field: str) -> str:
    """What the last field of a path holds, in words (rates say their unit)."""
    if isinstance(obj, Rate) or field == "rate":
        return "rate per year"
    return _FIELD_WORDS.get(field, field.replace("_", " "))


def parameter_label(sc: Scenario, path: Sequence[str | int]) -> str:
    """A parameter as a phrase of the scenario's own names.

    ``transitions.hiding_ne[1].rate`` becomes "hiding in north-east China →
    held in Chinese detention: rate per year"; ``sentences[4].hazards[0].rate``
    becomes "kwanliso for life → died: rate per year". The field path stays the
    parameter's id; this is what a reader is shown.

    Args:
        sc: The scenario.
        path: The field path (as yielded by the validator's model walk).
    """
    names: dict[str, str] = {}
    for section in ("states", "routes", "detention", "sentences"):
        for entry in getattr(sc, section):
            names[entry.id] = _item_name(entry)

    def state(sid: object) -> str:
        return names.get(str(sid), str(sid).replace("_", " "))

    objs: list[object] = [sc]
    for key in path:
        objs.append(_at(objs[-1], key))
    leaf = objs[-1]
    field = next((str(k) for k in reversed(path) if isinstance(k, str)), "")
    word = _field_word(leaf, field)
    head = str(path[0]) if path else ""
    p = list(path)

    def item(i: int) -> object:
        return objs[i + 1] if i + 1 < len(objs) else None

    if head == "transitions" and len(p) >= 3:
        t = item(2)
        to = getattr(t, "to", None)
        where = state(p[1])
        what = f"{where} → {state(to)}" if isinstance(to, str) else f"{where}: '{_item_name(t)}'"
        return f"{what}: {word}"
    if head in ("states", "routes", "detention", "sentences") and len(p) >= 2:
        base = _item_name(item(1))
        if len(p) >= 4 and p[2] == "hazards":
            to = getattr(item(3), "to", None)
            base = f"{base} → {state(to)}" if isinstance(to, str) else base
        elif len(p) >= 4 and p[2] == "waves":
            wave = item(3)
            date = getattr(wave, "date", None)
            return f"{base}: wave of {date}: {word if len(p) > 4 else 'share sent back'}"
        return f"{base}: {word}"
    if head == "inflows" and len(p) >= 2:
        base = _item_name(item(1))
        if len(p) >= 4 and p[2] == "rate_by_sex":
            return f"{base}: people entering per year, {'women' if p[3] == 'female' else 'men'}"
        if field == "rate":
            return f"{base}: people entering per year"
        return f"{base}: {word}"
    if head == "delegations" and len(p) >= 2:
        return f"delegation '{_item_name(item(1))}': {word}"
    if head == "people" and len(p) >= 2:
        if p[1] == "flags" and len(p) >= 3:
            flag = _item_name(item(2))
            if len(p) >= 5 and p[3] == "acquire":
                where = ", ".join(state(x) for x in getattr(item(4), "in_", []) or [])
                rest = "rate per year" if field == "rate" else word
                return f"acquiring '{flag}'" + (f" in {where}" if where else "") + f": {rest}"
            return f"flag '{flag}': {word}"
        return f"people: {word}"
    if head == "classification" and len(p) >= 2:
        if p[1] == "detection":
            return "interrogation: probability of detecting each flag"
        if p[1] == "rulesets" and len(p) >= 4 and isinstance(p[3], int):
            rule = f"classification rules '{str(p[2]).replace('_', ' ')}', rule {p[3] + 1}"
            return rule + (f": {word}" if len(p) > 4 else "")
        return f"classification: {word}"
    if head == "families" and len(p) >= 2:
        if p[1] == "outcomes" and len(p) >= 3:
            outcome = item(2)
            on = ", ".join(state(x) for x in getattr(outcome, "on_enter", []) or [])
            name = _item_name(outcome)
            who = name or f"people entering {on}"
            return f"families of {who}: {word}"
        return f"families: {word}"
    if head == "policies" and len(p) >= 2:
        name = _item_name(item(1))
        if len(p) >= 4 and p[2] == "effects":
            eff = item(3)
            scale = getattr(eff, "scale", None)
            on = ", ".join(str(x).replace("_", " ") for x in scale) if scale else ""
            return f"policy '{name}': factor" + (f" on {on}" if on else "")
        return f"policy '{name}': dates"
    if head == "reclassifications" and len(p) >= 2:
        return f"reclassification '{_item_name(item(1))}'" + (
            f": {word}" if len(p) > 2 else ": date and share"
        )
    if head == "observations" and len(p) >= 2:
        return f"observed series '{_item_name(item(1))}'" + (f": {word}" if len(p) > 2 else "")
    if head == "calibration" and len(p) >= 2:
        if p[1] == "unknowns" and len(p) >= 3:
            return f"calibration: prior of the unknown '{_item_name(item(2))}'"
        return f"calibration: {word}"
    parts = [_item_name(o) for o in objs[1:-1] if _item_name(o)]
    return ": ".join([*parts, word]) if parts else word
