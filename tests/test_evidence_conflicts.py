"""Conflict detection (qualifier semantics, tolerances) and period helpers, without a store."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from crossings.evidence import records, types
from crossings.evidence.conflicts import claim_interval, find_conflicts, quantity_key
from crossings.evidence.extract import bench
from crossings.evidence.records import ClaimRecord, format_period, format_value, parse_period
from crossings.evidence.types import Period

_ids = iter(range(1, 10_000))


def claim(
    value: float,
    qualifier: str = "exact",
    *,
    source: str = "A",
    period: str = "2009",
    high: float | None = None,
    kind: str = "count",
    unit: str = "people",
    **kw: Any,
) -> ClaimRecord:
    p = parse_period(period)
    fields: dict[str, Any] = dict(
        id=next(_ids),
        key=f"k{value}{source}{qualifier}",
        source_id=source,
        kind=kind,
        value=value,
        value_high=high,
        qualifier=qualifier,
        unit=unit,
        subject="arrived",
        sex=None,
        period_start=p.start if p else None,
        period_end=p.end if p else None,
        granularity=p.granularity if p else None,
        place=None,
        attributed_to=None,
        span_start=None,
        span_end=None,
        quote=None,
        statement=None,
        method="t",
        method_version="1",
        review_state="accepted",
        confidence=0.6,
        note=None,
        source_label=source,
        source_reliability="C",
        source_confidential=False,
    )
    fields.update(kw)
    return ClaimRecord(**fields)


@pytest.mark.parametrize(
    ("a", "b", "conflict"),
    [
        (claim(900, "at least"), claim(950), False),
        (claim(900, "at least"), claim(850), True),
        (claim(3000, "about"), claim(2952), False),  # within 5%
        (claim(3000, "about"), claim(2700), True),
        (claim(2914), claim(2927), True),  # exact figures must agree
        (claim(2000, "nearly"), claim(1950), False),
        (claim(2000, "nearly"), claim(2001), True),
        (claim(500, "over"), claim(500), True),
        (claim(500, "over"), claim(600, "about"), False),
        (claim(500, "over"), claim(200, high=300), True),
        (claim(65000, "up to"), claim(80000, high=120000), True),
        (claim(65000, "up to"), claim(60000), False),
        (claim(10, "fewer than"), claim(3), False),
        (claim(10, "fewer than"), claim(10), True),
        (
            claim(0.12, "about", kind="share", unit="percent"),
            claim(0.122, kind="share", unit="percent"),
            False,
        ),
        (
            claim(0.553, kind="share", unit="percent"),
            claim(0.532, kind="share", unit="percent"),
            True,
        ),
    ],
)
def test_qualifier_semantics(a: ClaimRecord, b: ClaimRecord, conflict: bool) -> None:
    b = ClaimRecord(**{**b.__dict__, "source_id": "B", "key": b.key + "b"})
    assert bool(find_conflicts([a, b])) is conflict


def test_relative_difference_against_the_best_supported_value() -> None:
    claims = [claim(2914, source=s, confidence=0.9) for s in ("S1", "S3", "S4")]
    claims += [claim(2927, source="S2"), claim(2952, source="S24", confidence=0.6)]
    (c,) = find_conflicts(claims)
    assert c.reference.value == 2914 and c.reference.sources == ("S1", "S3", "S4")
    assert [s.value for s in c.sides] == [2914, 2927, 2952]
    assert c.sides[2].relative_difference == pytest.approx(38 / 2914)
    assert c.max_relative_difference == pytest.approx(38 / 2914)


def test_what_is_compared() -> None:
    base = claim(2914)
    # a different period, sex, place, unit or kind is another quantity
    others = [
        claim(1000, period="2010"),
        claim(1000, sex="female"),
        claim(1000, place="Yanbian"),
        claim(1000, unit="USD"),
        claim(0.5, kind="share", unit="percent"),
    ]
    assert find_conflicts([base, *others]) == []
    # rejected claims, claims without a period and rules are left out
    assert quantity_key(claim(1, review_state="rejected")) is None
    assert quantity_key(claim(1, period="")) is None
    assert quantity_key(claim(1, kind="rule")) is None
    assert find_conflicts([base, claim(3000, review_state="rejected")]) == []
    # a year written as a range of days is the same period
    same = claim(2927, period="2009-01-01..2009-12-31", source="B")
    assert len(find_conflicts([base, same])) == 1


def test_intervals() -> None:
    assert claim_interval(claim(100, "about")) == pytest.approx((95, 105))
    lo, hi = claim_interval(claim(100, "up to"))
    assert (lo, hi) == (0, 100)
    lo, hi = claim_interval(claim(80, high=120))
    assert (lo, hi) == (80, 120)


@pytest.mark.parametrize(
    ("text", "start", "end", "gran"),
    [
        ("2009", dt.date(2009, 1, 1), dt.date(2009, 12, 31), "year"),
        ("2009-H2", dt.date(2009, 7, 1), dt.date(2009, 12, 31), "half-year"),
        ("2021-Q1", dt.date(2021, 1, 1), dt.date(2021, 3, 31), "quarter"),
        ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29), "month"),
        ("2023-10-09", dt.date(2023, 10, 9), dt.date(2023, 10, 9), "day"),
        ("..2022-12-31", None, dt.date(2022, 12, 31), "cumulative-to"),
        ("1999..2001", dt.date(1999, 1, 1), dt.date(2001, 12, 31), "range"),
        ("2016-06..2017-10", dt.date(2016, 6, 1), dt.date(2017, 10, 31), "range"),
    ],
)
def test_periods_round_trip(text: str, start: dt.date | None, end: dt.date, gran: str) -> None:
    p = parse_period(text)
    assert p == Period(start, end, gran)  # type: ignore[arg-type]
    assert format_period(p) == text
    assert parse_period("") is None
    with pytest.raises(ValueError, match="not a period"):
        parse_period("last year")


def test_value_text() -> None:
    assert format_value("count", 80000, 120000, "about", "people") == "about 80,000–120,000 people"
    assert format_value("share", 0.7, None, "over", "percent") == "over 70%"
    assert format_value("share", 0.553, None, "exact", "percent") == "55.3%"
    assert format_value("date", None, None, "exact", "people") == "–"


def test_implied_place_of_arrivals() -> None:
    named = claim(2927, source="B", place="South Korea")
    assert len(find_conflicts([claim(2914), named])) == 1
    assert format_value("rate", -0.177, None, "exact", "percent change") == "-17.7% change"


def test_one_period_syntax_for_the_store_and_the_labelled_set() -> None:
    assert records.parse_period is types.parse_period
    assert "parse_period" not in bench.__all__  # the gold reader uses the same parser
    assert bench.parse_period is types.parse_period
    half = Period(dt.date(2018, 1, 1), dt.date(2018, 6, 30), "half-year")
    assert parse_period("2018H1") == parse_period("2018-H1") == bench.gold_period("2018H1") == half
    assert parse_period("2019Q4") == parse_period("2019-Q4")
    assert parse_period("cum:1998..2018") == Period(
        dt.date(1998, 1, 1), dt.date(2018, 12, 31), "cumulative-to"
    )
    assert parse_period("cum:..2019-12-31") == parse_period("..2019-12-31")
    assert parse_period("range:2012..2019") == parse_period("2012..2019")
    for bad in ("2019..2018", "cum:2019", "2018H3", "range:"):
        with pytest.raises(ValueError, match="not a period"):
            parse_period(bad)
