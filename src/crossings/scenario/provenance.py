"""Where every number of a scenario comes from: one row per sourced object."""

from __future__ import annotations

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
        path: Field path (``transitions.hiding[0].rate``).
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
            )
        )
    return rows
