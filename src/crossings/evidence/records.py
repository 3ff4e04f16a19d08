"""Plain, read-only records handed out by the store, and period helpers.

The store (:mod:`crossings.evidence.store`) returns these frozen dataclasses
instead of ORM objects, so nothing outside it holds a database session. They
carry raw data; every output path turns them into text or JSON through
:func:`crossings.evidence.redact.redact`, which hides confidential sources.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from crossings.evidence.types import Period

__all__ = [
    "AuditRecord",
    "ClaimRecord",
    "LinkedClaim",
    "SourceRecord",
    "confidence_label",
    "format_period",
    "format_value",
    "parse_period",
]


@dataclass(frozen=True)
class SourceRecord:
    """A stored source (publication).

    Attributes:
        id: Source id (``S1`` for built-ins, ``D…`` for ingested documents).
        title: Title, if known.
        publisher: Publisher, if known.
        author: Author, if known.
        published: Publication date, if known as a full date.
        date_text: The date as stated when it is not a full date ("2025-02").
        url: Address, if known.
        language: Language code, if known.
        retrieved: When the document was added (ingested sources).
        raw_sha256: Hash of the raw file content (ingested sources).
        text_sha256: Hash of the stored text (ingested sources).
        extractor_version: Claim extractor version used (ingested sources).
        reliability: Reliability grade A–F (see ``models.RELIABILITY_GRADES``).
        confidential: Whether the source's identity must be redacted.
        citation: Citation text.
        confidence: The scenario's confidence in the source (high/medium/low).
        origin: ``builtin:<scenario>``, ``scenario:<name>`` or ``ingested``.
        note: Free-text note.
        file_name: The file it was read from (ingested sources).
        n_claims: Number of claims of the source.
    """

    id: str
    title: str | None
    publisher: str | None
    author: str | None
    published: dt.date | None
    date_text: str | None
    url: str | None
    language: str | None
    retrieved: dt.date | None
    raw_sha256: str | None
    text_sha256: str | None
    extractor_version: str | None
    reliability: str
    confidential: bool
    citation: str | None
    confidence: str | None
    origin: str
    note: str | None
    file_name: str | None = None
    n_claims: int = 0

    @property
    def label(self) -> str:
        """A short human name: the title, else the citation, else the id."""
        return self.title or self.citation or self.id


@dataclass(frozen=True)
class ClaimRecord:
    """A stored claim, with the facts of its source needed to judge it.

    Attributes mirror :class:`crossings.evidence.models.Claim`; ``source_*``
    fields are copied from the claim's source.
    """

    id: int
    key: str
    source_id: str
    kind: str
    value: float | None
    value_high: float | None
    qualifier: str
    unit: str
    subject: str
    sex: str | None
    period_start: dt.date | None
    period_end: dt.date | None
    granularity: str | None
    place: str | None
    attributed_to: str | None
    span_start: int | None
    span_end: int | None
    quote: str | None
    statement: str | None
    method: str
    method_version: str
    review_state: str
    confidence: float
    note: str | None
    source_label: str
    source_reliability: str
    source_confidential: bool
    source_confidence: str | None = None

    @property
    def period(self) -> Period | None:
        """The claim's period, or ``None`` when not stated."""
        if self.period_start is None and self.period_end is None:
            return None
        return Period(self.period_start, self.period_end, _granularity(self.granularity))

    @property
    def period_text(self) -> str:
        """The period in compact form ("2009", "2021-Q1", "..2022-12-31")."""
        return format_period(self.period)

    @property
    def value_text(self) -> str:
        """The value with its qualifier and unit ("about 600 people")."""
        return format_value(self.kind, self.value, self.value_high, self.qualifier, self.unit)


@dataclass(frozen=True)
class LinkedClaim:
    """A claim linked to a scenario parameter or observation row.

    Attributes:
        link: How the link was made (``subject-match``, ``cites-source``,
            ``scenario-use``).
        claim: The claim.
    """

    link: str
    claim: ClaimRecord


@dataclass(frozen=True)
class AuditRecord:
    """One entry of the append-only audit log."""

    id: int
    at: dt.datetime
    actor: str
    action: str
    claim_id: int | None
    source_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


_GRANULARITIES = (
    "year",
    "half-year",
    "quarter",
    "month",
    "day",
    "cumulative-to",
    "range",
    "unknown",
)


def _granularity(text: str | None) -> Any:
    return text if text in _GRANULARITIES else "unknown"


def confidence_label(confidence: float) -> str:
    """``high`` (≥ 0.8), ``medium`` (≥ 0.5) or ``low``."""
    if confidence >= 0.8:
        return "high"
    return "medium" if confidence >= 0.5 else "low"


def _fmt_number(x: float, unit: str) -> str:
    if unit.split(" ", maxsplit=1)[0] == "percent":
        pct = x * 100
        return f"{pct:.1f}%".replace(".0%", "%")
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.4g}"


def format_value(
    kind: str, value: float | None, value_high: float | None, qualifier: str, unit: str
) -> str:
    """A value as text: ``about 80,000–120,000 people``, ``over 70%``."""
    if value is None:
        return "–" if kind in ("date", "rule") else "?"
    text = _fmt_number(value, unit)
    if value_high is not None and value_high != value:
        text += "–" + _fmt_number(value_high, unit)
    if qualifier and qualifier != "exact":
        text = f"{qualifier} {text}"
    if unit.startswith("percent "):
        text += unit[len("percent") :]
    elif unit and unit != "percent":
        text += f" {unit}"
    return text


def _last_day(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def format_period(period: Period | None) -> str:
    """A compact, comparable text of a period (the inverse of :func:`parse_period`)."""
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
    if start.day == 1 and end == _last_day(end.year, end.month):
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


_YEAR = re.compile(r"^(\d{4})$")
_HALF = re.compile(r"^(\d{4})-H([12])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _bound(text: str, *, end: bool) -> tuple[dt.date, str]:
    """One end of a period: a year, month or day."""
    if m := _YEAR.match(text):
        y = int(m.group(1))
        return (dt.date(y, 12, 31) if end else dt.date(y, 1, 1)), "year"
    if m := _MONTH.match(text):
        y, mo = int(m.group(1)), int(m.group(2))
        return (_last_day(y, mo) if end else dt.date(y, mo, 1)), "month"
    return dt.date.fromisoformat(text), "day"


def parse_period(text: str | None) -> Period | None:
    """Parse a compact period.

    Accepted forms: ``2009`` (a year), ``2009-H1`` (half-year), ``2021-Q3``
    (quarter), ``2023-10`` (month), ``2023-10-09`` (day), ``..2022-12-31``
    (cumulative to that day), ``1999..2001`` / ``2016-06..2017-10`` /
    ``2003-01-01..2003-08-31`` (a range); empty for no period.

    Raises:
        ValueError: When the text is not one of these forms.
    """
    text = (text or "").strip()
    if not text:
        return None
    try:
        if text.startswith(".."):
            end, _ = _bound(text[2:], end=True)
            return Period(None, end, "cumulative-to")
        if ".." in text:
            a, b = text.split("..", 1)
            start, _ = _bound(a, end=False)
            stop, _ = _bound(b, end=True)
            if stop < start:
                raise ValueError("the period ends before it starts")
            return Period(start, stop, "range")
        if m := _HALF.match(text):
            y, h = int(m.group(1)), int(m.group(2))
            return Period(
                dt.date(y, 1 if h == 1 else 7, 1),
                dt.date(y, 6, 30) if h == 1 else dt.date(y, 12, 31),
                "half-year",
            )
        if m := _QUARTER.match(text):
            y, q = int(m.group(1)), int(m.group(2))
            return Period(dt.date(y, 3 * q - 2, 1), _last_day(y, 3 * q), "quarter")
        start, gran = _bound(text, end=False)
        stop, _ = _bound(text, end=True)
        return Period(start, stop, gran)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ValueError(
            f"not a period: {text!r} (use e.g. 2009, 2009-H1, 2021-Q3, 2023-10, "
            f"2023-10-09, ..2022-12-31 or 1999..2001)"
        ) from exc
