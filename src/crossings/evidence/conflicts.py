"""Claims about the same quantity that disagree.

Two claims are about the same quantity when they have the same kind (counts
and rates together, shares apart), subject, sex, period, place and unit. The
period is compared by its first and last day, so "2009" stated as a year and
1 Jan–31 Dec 2009 stated as a range are the same; claims without a period are
not compared. A place a subject implies (:data:`IMPLIED_PLACES`: arrivals are
arrivals in South Korea) counts as no place. Rejected claims, dates and rules
are left out.

Each claim stands for an interval of values, from its qualifier:

=============  ===========================================================
exact          the value (or the stated range); shares ± 0.05 percentage
               points, the rounding of a one-decimal percentage
about          ± :data:`ABOUT_TOLERANCE` (5%) of the value; shares ± 1 point
nearly         from 5% below the value (shares: 1 point) up to the value
at least       the value or more
over           more than the value
up to          the value or less (down to zero)
fewer than     less than the value
=============  ===========================================================

Claims conflict when their intervals do not overlap: "at least 900" does not
conflict with 950, "about 3,000" does not conflict with 2,952 (within 5%), but
2,914 and 2,927 do. A group of claims about one quantity is reported when any
two of its claims conflict. Its *reference* side is the best-supported value
(highest claim confidence, then most sources, then best reliability grade);
each side's relative difference is ``(value − reference) / reference``, with
the midpoint standing for a range.

**Conflicts that matter.** Most disagreements between exact figures are
revisions and rounding (9,593 against 9,594 people). A conflict *matters*
(:attr:`Conflict.material`) when some side is further from the reference than
its qualifier and rounding allow: the *gap* between the two sides' intervals
(zero when they overlap) is more than :data:`MATERIAL_GAP` (5%) of the
reference value, or for shares more than :data:`MATERIAL_SHARE_GAP` (one
percentage point). "about 3,000" against 2,914 is no conflict at all; 196
against 210 arrivals (a gap of 7%) matters; 9,593 against 9,594 does not.

Conflicts are ranked by :attr:`Conflict.score`: the largest gap of a side
(``log(1 + gap)``, so that a gap of 2900% does not drown all others; a share's
gap in points taken relative to the reference share) times the
reliability of the *weaker* of that side and the reference
(:func:`side_weight`: the best source grade of its claims, A 1.0 … E 0.1, F
0.5, times its best claim confidence). Two reliable sources that disagree by
10% come before an unreliable one that disagrees by 60%.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from crossings.evidence.records import ClaimRecord, format_period, format_value

#: Places a subject implies: "arrived" means arrived in South Korea, so a claim
#: that names South Korea is about the same quantity as one that names no place.
IMPLIED_PLACES: dict[str, frozenset[str]] = {
    "arrived": frozenset(
        {"south korea", "korea", "republic of korea", "rok", "the south", "seoul"}
    ),
}
ABOUT_TOLERANCE = 0.05
SHARE_ROUNDING = 0.0005
SHARE_ABOUT = 0.01
NUMERIC_KINDS = ("count", "rate", "share")
#: A conflict matters when a side's interval is further than this from the
#: reference's, relative to the reference value (counts and rates).
MATERIAL_GAP = 0.05
#: The same for shares, in fractions (one percentage point).
MATERIAL_SHARE_GAP = 0.01
#: Weight of a source grade when ranking conflicts (F: cannot be judged).
GRADE_WEIGHT = {"A": 1.0, "B": 0.85, "C": 0.65, "D": 0.4, "E": 0.1, "F": 0.5}


@dataclass(frozen=True)
class QuantityKey:
    """What a group of claims is about."""

    kind: str
    subject: str
    sex: str
    period: str
    place: str
    unit: str

    def describe(self) -> str:
        """A one-line description: ``arrived (total) 2009 [people]``."""
        where = f" in {self.place}" if self.place else ""
        return f"{self.subject} ({self.sex}) {self.period}{where} [{self.unit}]"


@dataclass(frozen=True)
class ConflictSide:
    """One value stated by one or more claims.

    Attributes:
        value: The value (lower end of a range).
        value_high: Upper end of a stated range.
        qualifier: The claims' qualifier.
        low: Lower end of the interval the claims stand for.
        high: Upper end of that interval.
        relative_difference: ``(value − reference) / reference`` (midpoints).
        agrees_with_reference: Whether its interval overlaps the reference's.
        claims: The claims stating it.
        gap: How far its interval lies from the reference's (0 when they
            overlap), relative to the reference value; for shares in fractions.
        weight: Its reliability (:func:`side_weight`).
    """

    value: float
    value_high: float | None
    qualifier: str
    low: float
    high: float
    relative_difference: float
    agrees_with_reference: bool
    claims: tuple[ClaimRecord, ...]
    gap: float = 0.0
    weight: float = 0.0

    @property
    def value_text(self) -> str:
        """The value as text ("about 600 people")."""
        c = self.claims[0]
        return format_value(c.kind, self.value, self.value_high, self.qualifier, c.unit)

    @property
    def sources(self) -> tuple[str, ...]:
        """Distinct source ids, in claim order."""
        return tuple(dict.fromkeys(c.source_id for c in self.claims))


@dataclass(frozen=True)
class Conflict:
    """Claims about one quantity that disagree.

    Attributes:
        key: The quantity.
        reference: The best-supported side.
        sides: Every side, the reference first, then by value.
        max_relative_difference: The largest absolute relative difference.
        max_gap: The largest gap of a side (see :class:`ConflictSide`).
        score: How much it matters, for ranking (see the module docstring).
    """

    key: QuantityKey
    reference: ConflictSide
    sides: tuple[ConflictSide, ...]
    max_relative_difference: float
    max_gap: float = 0.0
    score: float = 0.0

    def material(self, threshold: float | None = None) -> bool:
        """Whether it matters: a side further from the reference than rounding allows.

        Args:
            threshold: The smallest gap that matters (default
                :data:`MATERIAL_GAP`, or :data:`MATERIAL_SHARE_GAP` for shares).
        """
        if threshold is None:
            threshold = MATERIAL_SHARE_GAP if self.key.kind == "share" else MATERIAL_GAP
        return self.max_gap > threshold


def _is_share(c: ClaimRecord) -> bool:
    return c.kind == "share" or c.unit == "percent"


def claim_interval(c: ClaimRecord) -> tuple[float, float]:
    """The interval of values a numeric claim stands for (see the module docstring)."""
    if c.value is None:
        raise ValueError(f"claim {c.id} has no value")
    v = c.value
    h = c.value_high if c.value_high is not None else v
    share = _is_share(c)
    eps = 1e-9 * max(1.0, abs(v))
    floor = 0.0 if v >= 0 else -math.inf
    q = c.qualifier
    if q == "about":
        return (
            (v - SHARE_ABOUT, h + SHARE_ABOUT)
            if share
            else (v * (1 - ABOUT_TOLERANCE), h * (1 + ABOUT_TOLERANCE))
        )
    if q == "nearly":
        return ((v - SHARE_ABOUT) if share else v * (1 - ABOUT_TOLERANCE)), h
    if q == "at least":
        return v, math.inf
    if q == "over":
        return v + eps, math.inf
    if q == "up to":
        return floor, h
    if q == "fewer than":
        return floor, h - eps
    if share:
        return v - SHARE_ROUNDING, h + SHARE_ROUNDING
    return v, h


def quantity_key(c: ClaimRecord) -> QuantityKey | None:
    """The quantity a claim is about, or ``None`` when it cannot be compared."""
    if c.review_state == "rejected" or c.value is None or c.kind not in NUMERIC_KINDS:
        return None
    period = format_period(c.period)
    if not period:
        return None
    unit = c.unit.strip().lower()
    unit = "people" if unit in ("persons", "person", "people") else unit
    subject = c.subject.strip().lower()
    place = (c.place or "").strip().lower()
    if place in IMPLIED_PLACES.get(subject, frozenset()):
        place = ""
    return QuantityKey(
        kind="share" if c.kind == "share" else "count",
        subject=subject,
        sex=c.sex or "total",
        period=period,
        place=place,
        unit=unit,
    )


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _mid(value: float, high: float | None) -> float:
    return value if high is None else (value + high) / 2


_GRADES = "ABCDEF"


def _support(claims: list[ClaimRecord]) -> tuple[float, int, int]:
    best_grade = min(_GRADES.find(c.source_reliability) % len(_GRADES) for c in claims)
    return (max(c.confidence for c in claims), len({c.source_id for c in claims}), -best_grade)


def side_weight(claims: Iterable[ClaimRecord]) -> float:
    """The reliability of a side: its best source grade's weight times its best confidence."""
    cs = list(claims)
    if not cs:
        return 0.0
    grade = max(GRADE_WEIGHT.get(c.source_reliability, 0.5) for c in cs)
    return grade * max(c.confidence for c in cs)


def _gap(a: tuple[float, float], b: tuple[float, float], ref: float, share: bool) -> float:
    """Distance between two intervals (0 when they overlap), relative to ``ref``."""
    d = max(a[0] - b[1], b[0] - a[1], 0.0)
    if d == 0 or math.isinf(d):
        return 0.0 if d == 0 else math.inf
    return d if share else d / abs(ref) if ref else math.inf


def find_conflicts(claims: Iterable[ClaimRecord]) -> list[Conflict]:
    """Groups of claims about the same quantity whose values disagree.

    Args:
        claims: Claims to compare (rejected, date and rule claims are ignored).

    Returns:
        The conflicts, by subject and period.
    """
    groups: dict[QuantityKey, list[ClaimRecord]] = {}
    for c in claims:
        key = quantity_key(c)
        if key is not None:
            groups.setdefault(key, []).append(c)
    out: list[Conflict] = []
    for key, members in groups.items():
        by_value: dict[tuple[float, float | None, str], list[ClaimRecord]] = {}
        for c in members:
            assert c.value is not None
            by_value.setdefault((c.value, c.value_high, c.qualifier), []).append(c)
        if len(by_value) < 2:
            continue
        intervals = {k: claim_interval(v[0]) for k, v in by_value.items()}
        ks = list(by_value)
        if all(_overlap(intervals[a], intervals[b]) for i, a in enumerate(ks) for b in ks[i + 1 :]):
            continue
        ref_key = max(ks, key=lambda k: (_support(by_value[k]), -ks.index(k)))
        ref_mid = _mid(ref_key[0], ref_key[1])
        sides = []
        share = key.kind == "share"
        ref_weight = side_weight(by_value[ref_key])
        score = 0.0
        for k in [ref_key, *sorted((k for k in ks if k != ref_key), key=lambda k: k[0])]:
            mid = _mid(k[0], k[1])
            rd = (mid - ref_mid) / abs(ref_mid) if ref_mid else (0.0 if mid == 0 else math.inf)
            gap = _gap(intervals[k], intervals[ref_key], ref_mid, share)
            weight = side_weight(by_value[k])
            if gap > 0:
                # shares: the gap in points relative to the reference share, like counts
                rel = gap / max(abs(ref_mid), SHARE_ABOUT) if share else gap
                size = math.log1p(rel) if math.isfinite(rel) else 10.0
                score = max(score, size * min(weight, ref_weight))
            sides.append(
                ConflictSide(
                    value=k[0],
                    value_high=k[1],
                    qualifier=k[2],
                    low=intervals[k][0],
                    high=intervals[k][1],
                    relative_difference=rd,
                    agrees_with_reference=_overlap(intervals[k], intervals[ref_key]),
                    claims=tuple(by_value[k]),
                    gap=gap,
                    weight=weight,
                )
            )
        out.append(
            Conflict(
                key=key,
                reference=sides[0],
                sides=tuple(sides),
                max_relative_difference=max(abs(s.relative_difference) for s in sides),
                max_gap=max(s.gap for s in sides),
                score=score,
            )
        )
    return sorted(out, key=lambda c: (c.key.subject, c.key.period, c.key.sex, c.key.place))


def conflicts_that_matter(
    conflicts: Iterable[Conflict], *, threshold: float | None = None, everything: bool = False
) -> list[Conflict]:
    """The conflicts that matter, most important first.

    Args:
        conflicts: Found by :func:`find_conflicts`.
        threshold: The smallest gap that matters (default :data:`MATERIAL_GAP`,
            shares :data:`MATERIAL_SHARE_GAP`); a share's threshold is in
            fractions when given.
        everything: Keep every conflict (still ranked).

    Returns:
        By score (then by largest gap, subject and period).
    """
    keep = [c for c in conflicts if everything or c.material(threshold)]
    return sorted(
        keep,
        key=lambda c: (-c.score, -c.max_gap, c.key.subject, c.key.period, c.key.sex, c.key.place),
    )


__all__ = [
    "ABOUT_TOLERANCE",
    "GRADE_WEIGHT",
    "MATERIAL_GAP",
    "MATERIAL_SHARE_GAP",
    "Conflict",
    "ConflictSide",
    "QuantityKey",
    "claim_interval",
    "conflicts_that_matter",
    "find_conflicts",
    "quantity_key",
    "rounding_unit",
    "side_weight",
]


def rounding_unit(value: float) -> float:
    """The unit a stated number is rounded to: 3,000 → 1,000; 2,600 → 100; 2,914 → 1.

    Numbers that are not whole are rounded to their last decimal shown (at
    most 6): 12.5 → 0.1.
    """
    v = abs(value)
    if v == 0:
        return 1.0
    if float(v).is_integer():
        n, unit = int(v), 1
        while n % 10 == 0:
            n //= 10
            unit *= 10
        return float(unit)
    text = f"{v:.6f}".rstrip("0")
    return 10.0 ** -(len(text.split(".")[1]))
