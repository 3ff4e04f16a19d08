"""Plain data types shared by claim extraction and the evidence store.

Extraction (:mod:`crossings.evidence.extract`) produces :class:`ExtractedClaim`
objects from a document's stored text; the store
(:mod:`crossings.evidence.store`) persists them as claims whose spans refer to
that exact text.

Periods have one text form, read by :func:`parse_period` and written by
:func:`format_period`, used by the store (``period=`` edits), the built-in
data and the labelled set of the extraction benchmark alike.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal, cast

ClaimKind = Literal["count", "rate", "share", "date", "rule"]
Qualifier = Literal["exact", "about", "at least", "nearly", "over", "up to", "fewer than"]
Granularity = Literal[
    "year", "half-year", "quarter", "month", "day", "cumulative-to", "range", "unknown"
]


@dataclass(frozen=True)
class Period:
    """The time a claim refers to.

    Attributes:
        start: First day covered (inclusive), or ``None`` when open.
        end: Last day covered (inclusive).
        granularity: How the period was stated.
    """

    start: dt.date | None
    end: dt.date | None
    granularity: Granularity


@dataclass(frozen=True)
class Attribution:
    """Who a claim is attributed to inside the document.

    Attributes:
        who: The attributed body or person ("Ministry of Unification").
        start: Character offset of the attribution phrase in the text.
        end: End offset (exclusive).
    """

    who: str
    start: int
    end: int


@dataclass(frozen=True)
class ExtractedClaim:
    """One claim found in a text; every offset refers to the stored text.

    Attributes:
        kind: count, rate, share, date or rule.
        value: The number (a share as a fraction: 31 percent → 0.31).
        qualifier: exact, about, at least, nearly, over, up to, fewer than.
        unit: people, percent, per year, ...
        subject: What is counted: escaped, arrived, repatriated, sentenced,
            detained, athletes, executed, missing, ... (a controlled word).
        sex: "female", "male" or ``None`` for both.
        period: The period the number refers to, or ``None`` when not stated.
        place: A gazetteer place id or name, or ``None``.
        attribution: The attributed source, if the text names one.
        start: Character offset where the claim's quote begins.
        end: End offset (exclusive) of the quote.
        quote: ``text[start:end]`` exactly.
        confidence: 0–1, the extractor's own confidence.
        method: Extraction method name ("rules").
        version: Extractor version.
    """

    kind: ClaimKind
    value: float
    qualifier: Qualifier
    unit: str
    subject: str
    sex: str | None
    period: Period | None
    place: str | None
    attribution: Attribution | None
    start: int
    end: int
    quote: str
    confidence: float = 0.5
    method: str = "rules"
    version: str = "1"
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NamedPeriod:
    r"""An event a text dates a period from: "since the pandemic began".

    Which events a document's readers know (and when they happened) is
    knowledge of its subject, not of the extractor: the caller passes them in
    (the built-in evidence: ``crossings/evidence/data/named_periods.yaml``).
    "since <event>" then means the cumulative period from :attr:`start` to
    publication.

    Attributes:
        name: Short name ("border-closure").
        start: First day of a period dated from the event.
        phrases: Regular expressions (case-insensitive) of the event as written
            after "since" ("the\s+pandemic(?:\s+began)?").
        note: Where the date comes from.
        pattern: The compiled ``since <phrase>`` pattern (built from ``phrases``).

    Raises:
        ValueError: When there is no phrase or one is not a valid expression.
    """

    name: str
    start: dt.date
    phrases: tuple[str, ...]
    note: str = ""
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.phrases:
            raise ValueError(f"named period {self.name!r} has no phrases")
        alternation = "|".join(f"(?:{p})" for p in self.phrases)
        try:
            pattern = re.compile(rf"\bsince\s+(?:{alternation})\b", re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"named period {self.name!r}: bad phrase: {exc}") from None
        object.__setattr__(self, "pattern", pattern)


# --------------------------------------------------------------------------- period text

_GRANULARITIES: tuple[Granularity, ...] = (
    "year",
    "half-year",
    "quarter",
    "month",
    "day",
    "cumulative-to",
    "range",
    "unknown",
)
_YEAR = re.compile(r"(\d{4})")
_HALF = re.compile(r"(\d{4})-?H([12])")
_QUARTER = re.compile(r"(\d{4})-?Q([1-4])")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def as_granularity(text: str | None) -> Granularity:
    """A stored granularity, ``unknown`` for anything else."""
    for g in _GRANULARITIES:
        if text == g:
            return g
    return "unknown"


def last_day(year: int, month: int) -> dt.date:
    """The last day of a month."""
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def format_period(period: Period | None) -> str:
    """A compact, comparable text of a period (read back by :func:`parse_period`).

    The text names the first and last day; the granularity is not part of it
    (a range and a cumulative period over the same days read the same), so
    periods compare by their days.
    """
    if period is None:
        return ""
    start, end = period.start, period.end
    if start is None and end is None:
        return ""
    if start is None:
        return f"..{end.isoformat()}" if end else ""
    if end is None:
        return f"{start.isoformat()}.."
    if start == end:
        return start.isoformat()
    if start.day == 1 and end == last_day(end.year, end.month):
        if start.month == 1 and end.month == 12:
            return str(start.year) if start.year == end.year else f"{start.year}..{end.year}"
        if start.year == end.year and start.month == end.month:
            return f"{start.year}-{start.month:02d}"
        if start.year == end.year and (start.month, end.month) in ((1, 6), (7, 12)):
            return f"{start.year}-H{1 if start.month == 1 else 2}"
        if start.year == end.year and end.month - start.month == 2 and start.month % 3 == 1:
            return f"{start.year}-Q{(start.month + 2) // 3}"
        return f"{start.year}-{start.month:02d}..{end.year}-{end.month:02d}"
    return f"{start.isoformat()}..{end.isoformat()}"


def _bound(text: str, *, end: bool) -> dt.date:
    """One end of a range: a year, month or day (its first day, or last with ``end``)."""
    if m := _YEAR.fullmatch(text):
        y = int(m.group(1))
        return dt.date(y, 12, 31) if end else dt.date(y, 1, 1)
    if m := _MONTH.fullmatch(text):
        y, mo = int(m.group(1)), int(m.group(2))
        return last_day(y, mo) if end else dt.date(y, mo, 1)
    return dt.date.fromisoformat(text)


def _parse(text: str) -> Period:
    kind: Granularity | None = None
    for prefix, granularity in (("cum:", "cumulative-to"), ("range:", "range")):
        if text.startswith(prefix):
            text, kind = text[len(prefix) :].strip(), cast("Granularity", granularity)
    if text.startswith(".."):
        return Period(None, _bound(text[2:], end=True), "cumulative-to")
    if ".." in text:
        a, b = text.split("..", 1)
        start, stop = _bound(a, end=False), _bound(b, end=True)
        if stop < start:
            raise ValueError("the period ends before it starts")
        return Period(start, stop, kind or "range")
    if kind is not None:
        raise ValueError(f"{kind} needs START..END or ..END")
    if m := _HALF.fullmatch(text):
        y, h = int(m.group(1)), int(m.group(2))
        if h == 1:
            return Period(dt.date(y, 1, 1), dt.date(y, 6, 30), "half-year")
        return Period(dt.date(y, 7, 1), dt.date(y, 12, 31), "half-year")
    if m := _QUARTER.fullmatch(text):
        y, q = int(m.group(1)), int(m.group(2))
        return Period(dt.date(y, 3 * q - 2, 1), last_day(y, 3 * q), "quarter")
    if _YEAR.fullmatch(text):
        return Period(_bound(text, end=False), _bound(text, end=True), "year")
    if _MONTH.fullmatch(text):
        return Period(_bound(text, end=False), _bound(text, end=True), "month")
    day = dt.date.fromisoformat(text)
    return Period(day, day, "day")


def parse_period(text: str | None) -> Period | None:
    """Parse the text form of a period (the one syntax of the evidence base).

    Accepted forms: ``2009`` (a year), ``2009-H1`` or ``2009H1`` (half-year),
    ``2021-Q3`` or ``2021Q3`` (quarter), ``2023-10`` (month), ``2023-10-09``
    (day), ``..2022-12-31`` (cumulative to that day), ``1999..2001`` /
    ``2016-06..2017-10`` / ``2003-01-01..2003-08-31`` (a range: each end a
    year, month or day); ``range:`` before a range and ``cum:`` before
    ``..END`` or ``START..END`` (cumulative from START) say the kind
    explicitly. Empty text is no period.

    Raises:
        ValueError: When the text is not one of these forms.
    """
    text = (text or "").strip()
    if not text:
        return None
    try:
        return _parse(text)
    except ValueError as exc:
        raise ValueError(
            f"not a period: {text!r} (use e.g. 2009, 2009-H1, 2021-Q3, 2023-10, "
            f"2023-10-09, ..2022-12-31, 1999..2001 or cum:1998..2018)"
        ) from exc
