"""Time expressions: what period a number refers to.

Supported (each resolved to a :class:`~crossings.evidence.types.Period`):

=====================================================  ===============================
expression                                             period
=====================================================  ===============================
"in 2017", "2017's", "2009 figures", "London 2012",    year
"fiscal 2019", "FY2019", "last year", "this year",
"that year" (the last year named before)
"the first half of 2018", "H1 2018"                    half-year
"the third quarter of 2019", "Q3 2019"                 quarter
"in March 2019", "last month", "in October" (no        month
year: the sentence's year, else the latest such
month not after publication)
"on 9 October 2023", "October 9, 2023", "2023-10-09"   day
"between 2012 and 2019", "2012-2019", "in the          range
1990s", "between July and September 2017", "the
first five months of this year", "the three months
to the end of September"
"since 1998", "since June", "since the 1990s"          cumulative-to (start .. published)
"since <a named period>": "since the pandemic began"   cumulative-to (its start .. published)
(named periods are passed in by the caller)
"as of end-2019", "as of the end of December",         cumulative-to (open start .. end)
"by the end of 2019", "as of October 2022"
"so far this year", "in 2020 so far", "to date"        cumulative-to (.. published)
"the same period last year", "a year earlier"          the previous period in the
                                                       sentence, one year earlier
=====================================================  ===============================

Not supported (no period): "the past decade", "recent years", "today", "the early
2010s".

This module knows no country's history: events that a text dates periods from
("since the pandemic began", "since the Korean War") are
:class:`~crossings.evidence.types.NamedPeriod` objects given by the caller (the
built-in evidence ships its own in ``crossings/evidence/data/named_periods.yaml``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

from crossings.evidence.types import NamedPeriod, Period

__all__ = ["PeriodMention", "find_periods", "shift_year"]

# "SEOUL, " before a day without a year: a dateline (see _dateline_before)
_DATELINE_CAPS = re.compile(r"\b[A-Z]{3}")
_DATELINE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz .'-")
_YEAR_RE = re.compile(r"\b(?:19[5-9]\d|20\d\d)\b")

_MONTH_NUM: Mapping[str, int] = MappingProxyType(
    {
        "jan": 1,
        "feb": 2,
        "mar": 3,
        "apr": 4,
        "may": 5,
        "jun": 6,
        "jul": 7,
        "aug": 8,
        "sep": 9,
        "oct": 10,
        "nov": 11,
        "dec": 12,
    }
)
_ORD: Mapping[str, int] = MappingProxyType(
    {
        "first": 1,
        "1st": 1,
        "second": 2,
        "2nd": 2,
        "third": 3,
        "3rd": 3,
        "fourth": 4,
        "4th": 4,
    }
)
_COUNT_WORDS: Mapping[str, int] = MappingProxyType(
    {
        "two": 2,
        "three": 3,
        "four": 4,
        "five": 5,
        "six": 6,
        "seven": 7,
        "eight": 8,
        "nine": 9,
        "ten": 10,
        "eleven": 11,
        "twelve": 12,
    }
)
_DECADE_PART: Mapping[str | None, tuple[int, int]] = MappingProxyType(
    {None: (0, 9), "early": (0, 3), "mid": (3, 6), "late": (6, 9)}
)

MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
YEAR = r"(?:19[5-9]\d|20\d\d)"
_REL_YEAR = rf"(?:{YEAR}|this\s+year|last\s+year|the\s+year|the\s+previous\s+year)"
_NMONTHS = r"(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d{1,2})"


def _rx(pattern: str) -> re.Pattern[str]:
    """Compile a case-insensitive pattern.

    Args:
        pattern: The regular expression.

    Returns:
        The compiled pattern.
    """
    return re.compile(pattern, re.IGNORECASE)


# (name, pattern) in priority order: earlier patterns win overlaps at the same start
# after the caller's named periods, which come first
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "since_clause",
        _rx(
            rf"\bsince\s+(?:the\s+)?(?:[\w'-]+\s+){{1,5}}?in\s+(?P<m>{MONTH})(?:\s+(?P<y>{YEAR}))?"
            r"(?![\w-])"
        ),
    ),
    (
        "range_months",
        _rx(
            rf"\b(?:between|from)\s+(?P<m1>{MONTH})(?:\s+(?P<y1>{YEAR}))?\s+(?:and|to|until|through)"
            rf"\s+(?P<m2>{MONTH})(?:\s+(?:of\s+)?(?P<y2>{YEAR}))?"
        ),
    ),
    (
        "months_to",
        _rx(
            rf"\b(?:the\s+)?(?P<n>{_NMONTHS})\s+months\s+(?:to|until|through|ending(?:\s+in)?)\s+"
            rf"(?:the\s+end\s+of\s+)?(?P<m>{MONTH})(?:\s+(?P<y>{YEAR}))?"
        ),
    ),
    (
        "first_months",
        _rx(rf"\b(?:the\s+)?first\s+(?P<n>{_NMONTHS})\s+months\s+(?:of\s+)?(?P<y>{_REL_YEAR})"),
    ),
    (
        "sofar",
        _rx(
            rf"\bso\s+far\s+(?:this\s+year|in\s+(?P<y1>{YEAR}))|\b(?:this\s+year|in\s+(?P<y2>{YEAR}))"
            r"\s+so\s+far\b|\bso\s+far\b|\bto\s+date\b|\byear[-\s]to[-\s]date\b"
        ),
    ),
    (
        "since",
        _rx(
            rf"\bsince\s+(?:(?:the\s+)?(?:end|start|beginning)\s+of\s+)?(?:(?P<m>{MONTH})\s+)?"
            rf"(?P<y>{YEAR})\b|\bsince\s+(?:the\s+)?(?P<dec>(?:19|20)\d)0s\b"
            rf"|\bsince\s+(?P<m2>{MONTH})(?!\s*\d)"
        ),
    ),
    (
        "asof",
        _rx(
            rf"\b(?:as\s+(?:of|at)|by)\s+(?:the\s+)?end[-\s]+(?:of\s+)?(?:(?P<m>{MONTH})\s*)?"
            rf"(?P<y>{YEAR}|(?<=of\s)(?:last\s+year|this\s+year|the\s+year))?"
            rf"|\bas\s+(?:of|at)\s+(?:(?P<m2>{MONTH})\s+)?(?P<y2>{YEAR})\b"
        ),
    ),
    (
        "day",
        _rx(
            rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m>{MONTH}),?\s+(?P<y>{YEAR})\b"
            rf"|\b(?P<m2>{MONTH})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y2>{YEAR})\b"
            rf"|\b(?P<y3>{YEAR})-(?P<mo3>[01]\d)-(?P<d3>[0-3]\d)\b"
        ),
    ),
    (
        "half",
        _rx(
            rf"\b(?:the\s+)?(?P<o>first|second|1st|2nd)\s+half\s+(?:of\s+)?(?P<y>{_REL_YEAR})?"
            rf"|\bH(?P<h>[12])\s*(?P<y2>{YEAR})\b|\b(?P<y3>{YEAR})\s*H(?P<h3>[12])\b"
        ),
    ),
    (
        "quarter",
        _rx(
            rf"\b(?:the\s+)?(?P<o>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter"
            rf"(?:\s+(?:of\s+)?(?P<y>{_REL_YEAR}))?|\bQ(?P<q>[1-4])\s*(?P<y2>{YEAR})\b"
            rf"|\b(?P<y3>{YEAR})\s*Q(?P<q3>[1-4])\b"
        ),
    ),
    (
        "year_range",
        _rx(
            rf"\bbetween\s+(?P<a>{YEAR})\s+and\s+(?P<b>{YEAR})\b"
            rf"|\bfrom\s+(?P<a2>{YEAR})\s+(?:to|until|through)\s+(?P<b2>{YEAR})\b"
            rf"|\b(?P<a3>{YEAR})\s*[-–—]\s*(?P<b3>{YEAR}|\d\d)\b"
        ),
    ),
    (
        "decade",
        _rx(
            r"\b(?:in\s+|during\s+)?the\s+(?:(?P<q>early|mid|late)[-\s]+)?(?P<dec>(?:19|20)\d)0s\b"
        ),
    ),
    ("month_year", _rx(rf"\b(?P<m>{MONTH}),?\s+(?:of\s+)?(?P<y>{YEAR})\b")),
    (
        "day_noyear",
        _rx(
            rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m>{MONTH})(?![\w-])(?!\s+\d)"
            rf"|\b(?P<m2>{MONTH})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\b(?!,?\s*\d)"
        ),
    ),
    ("relative", _rx(r"\b(?P<which>last|this)\s+(?P<unit>year|month)(?:'s)?(?!\s+\d)")),
    (
        "that_year",
        _rx(
            r"\b(?:that|the\s+same)\s+year\b"
            r"|\b(?:over|for|in|during|across)\s+the\s+(?:full|whole|entire)\s+year\b"
        ),
    ),
    (
        "vague",
        _rx(
            r"\bpre-pandemic\b|\bbefore\s+the\s+pandemic\b|\bin\s+recent\s+years\b"
            r"|\b(?:over|in|during)\s+the\s+(?:past|last)\s+(?:few\s+|several\s+|\w+\s+)?"
            r"(?:years|decades?|months)\b|\bcurrently\b|\bthese\s+days\b"
        ),
    ),
    (
        "shift",
        _rx(
            rf"\bthe\s+same\s+(?:period|time|months?|quarter|half)\s+(?:of\s+|in\s+)?"
            rf"(?:last\s+year|the\s+previous\s+year|a\s+year\s+(?:earlier|before|ago)|(?P<y>{YEAR}))"
            r"|\ba\s+year\s+(?:earlier|before|ago)\b|\bthe\s+previous\s+year\b|\bthe\s+year\s+before\b"
        ),
    ),
    (
        "month_only",
        _rx(
            rf"\b(?:in|during|until|from|last|this|early|mid|late|of)\s+(?:(?:early|mid|late)[-\s]+)?"
            rf"(?P<m>{MONTH})(?![\w-])(?!\s*\d)"
        ),
    ),
    ("fiscal", _rx(rf"\b(?:fiscal(?:\s+year)?|FY)\s*'?(?P<y>{YEAR}|\d\d)\b")),
    ("year", _rx(rf"\b(?P<y>{YEAR})(?:'s)?\b(?![-–]\d)")),
)


@dataclass(frozen=True)
class PeriodMention:
    """A time expression in the text.

    Attributes:
        start: Offset of the expression.
        end: End offset.
        period: The resolved period.
        kind: Pattern name ("year", "half", "since", "shift", ...).
    """

    start: int
    end: int
    period: Period
    kind: str


def _month_end(year: int, month: int) -> dt.date:
    """Last day of a month.

    Args:
        year: Year.
        month: Month 1-12.

    Returns:
        The date of the last day.
    """
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _month(token: str | None) -> int | None:
    """Month number from a month name.

    Args:
        token: "March", "Sept.", ...

    Returns:
        1-12, or ``None``.
    """
    if not token:
        return None
    return _MONTH_NUM.get(token.strip(".").lower()[:3])


def _capitalised(token: str | None) -> bool:
    """Whether a month token is written with a capital (so "may" the verb is skipped).

    Args:
        token: The matched month token.

    Returns:
        True when it starts with an upper-case letter.
    """
    return bool(token) and token[0].isupper()  # type: ignore[index]


def _year_period(year: int) -> Period:
    """A calendar year.

    Args:
        year: The year.

    Returns:
        The period.
    """
    return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), "year")


def _month_period(year: int, month: int) -> Period:
    """A calendar month.

    Args:
        year: Year.
        month: Month.

    Returns:
        The period.
    """
    return Period(dt.date(year, month, 1), _month_end(year, month), "month")


def shift_year(period: Period, years: int) -> Period:
    """Move a period by whole years.

    Args:
        period: The period.
        years: Years to add (negative: earlier).

    Returns:
        The shifted period (29 February becomes 28 February).
    """

    def move(d: dt.date | None) -> dt.date | None:
        if d is None:
            return None
        try:
            return d.replace(year=d.year + years)
        except ValueError:
            return d.replace(year=d.year + years, day=28)

    return replace(period, start=move(period.start), end=move(period.end))


def _rel_year(
    token: str | None, published: dt.date | None, sentence_year: int | None
) -> int | None:
    """Resolve "2018", "this year", "last year", "the year".

    Args:
        token: The matched year phrase or ``None``.
        published: Publication date.
        sentence_year: An explicit year elsewhere in the sentence.

    Returns:
        The year, or ``None`` when it cannot be resolved.
    """
    if token is None or token.lower() in ("the year",):
        if sentence_year is not None:
            return sentence_year
        return published.year if published and token is not None else None
    low = " ".join(token.lower().split())
    if low == "this year":
        return published.year if published else None
    if low in ("last year", "the previous year"):
        return published.year - 1 if published else None
    return int(token)


def _context_year(month: int, published: dt.date | None, sentence_year: int | None) -> int | None:
    """Year of a month named without a year.

    Args:
        month: The month (for a quarter or half: its first month).
        published: Publication date.
        sentence_year: An explicit year elsewhere in the sentence.

    Returns:
        The sentence's year, else the latest year in which that month started
        on or before publication, else ``None``.
    """
    if sentence_year is not None:
        return sentence_year
    if published is None:
        return None
    return published.year if dt.date(published.year, month, 1) <= published else published.year - 1


def _count(token: str) -> int:
    """A small month count in words or digits.

    Args:
        token: "three" or "3".

    Returns:
        The count.
    """
    return int(token) if token.isdigit() else _COUNT_WORDS[token.lower()]


def _resolve(
    kind: str,
    m: re.Match[str],
    published: dt.date | None,
    sentence_year: int | None,
    last_year_named: int | None,
) -> Period | None:
    """Turn one pattern match into a period.

    Args:
        kind: Pattern name.
        m: The match.
        published: Publication date.
        sentence_year: First explicit year of the sentence (other than this one).
        last_year_named: The last explicit year named before, in the document.

    Returns:
        The period, or ``None`` when it cannot be resolved (or is a false
        match such as "may" the verb).
    """
    g = m.groupdict()
    if kind == "since_clause":
        if not _capitalised(g["m"]):
            return None
        mo = _month(g["m"])
        assert mo is not None
        y_opt = int(g["y"]) if g["y"] else _context_year(mo, published, sentence_year)
        if y_opt is None:
            return None
        return Period(dt.date(y_opt, mo, 1), published, "cumulative-to")
    if kind == "range_months":
        if not (_capitalised(g["m1"]) and _capitalised(g["m2"])):
            return None
        m1, m2 = _month(g["m1"]), _month(g["m2"])
        assert m1 is not None and m2 is not None
        y2 = int(g["y2"]) if g["y2"] else _context_year(m2, published, sentence_year)
        if y2 is None:
            return None
        y1 = int(g["y1"]) if g["y1"] else (y2 if m1 <= m2 else y2 - 1)
        return Period(dt.date(y1, m1, 1), _month_end(y2, m2), "range")
    if kind == "months_to":
        if not _capitalised(g["m"]):
            return None
        mo = _month(g["m"])
        assert mo is not None
        y = int(g["y"]) if g["y"] else _context_year(mo, published, sentence_year)
        if y is None:
            return None
        n = _count(g["n"])
        first = (y * 12 + mo - 1) - (n - 1)
        return Period(dt.date(first // 12, first % 12 + 1, 1), _month_end(y, mo), "range")
    if kind == "first_months":
        y = _rel_year(g["y"], published, sentence_year)
        n = _count(g["n"])
        if y is None or not 1 <= n <= 12:
            return None
        return Period(dt.date(y, 1, 1), _month_end(y, n), "range")
    if kind == "sofar":
        ytok = g["y1"] or g["y2"]
        text = m.group(0).lower()
        if ytok:
            return Period(dt.date(int(ytok), 1, 1), published, "cumulative-to")
        if "this year" in text:
            if published is None:
                return None
            return Period(dt.date(published.year, 1, 1), published, "cumulative-to")
        return Period(None, published, "cumulative-to")
    if kind == "since":
        if g["dec"]:
            return Period(dt.date(int(g["dec"]) * 10, 1, 1), published, "cumulative-to")
        if g["m2"]:
            if not _capitalised(g["m2"]):
                return None
            mo = _month(g["m2"])
            assert mo is not None
            y = _context_year(mo, published, sentence_year)
            if y is None:
                return None
            return Period(dt.date(y, mo, 1), published, "cumulative-to")
        y = int(g["y"])
        if "end of" in m.group(0).lower():
            return Period(dt.date(y + 1, 1, 1), published, "cumulative-to")
        mo = _month(g["m"]) if g["m"] and _capitalised(g["m"]) else 1
        return Period(dt.date(y, mo or 1, 1), published, "cumulative-to")
    if kind == "asof":
        mtok, ytok = (g["m"], g["y"]) if (g["m"] or g["y"]) else (g["m2"], g["y2"])
        if mtok and not _capitalised(mtok):
            return None
        mo = _month(mtok)
        if ytok and not ytok.isdigit():
            y_rel = _rel_year(ytok, published, sentence_year)
            if y_rel is None:
                return None
            y = y_rel
        elif ytok:
            y = int(ytok)
        elif mo is not None:
            y_ctx = _context_year(mo, published, sentence_year)
            if y_ctx is None:
                return None
            y = y_ctx
        else:
            return None
        end = _month_end(y, mo) if mo else dt.date(y, 12, 31)
        return Period(None, end, "cumulative-to")
    if kind == "day":
        if g["y3"]:
            y, mo, d = int(g["y3"]), int(g["mo3"]), int(g["d3"])
        else:
            mtok = g["m"] or g["m2"]
            if not _capitalised(mtok):
                return None
            y = int(g["y"] or g["y2"])
            mo_opt = _month(mtok)
            assert mo_opt is not None
            mo = mo_opt
            d = int(g["d"] or g["d2"])
        try:
            day = dt.date(y, mo, d)
        except ValueError:
            return None
        return Period(day, day, "day")
    if kind == "day_noyear":
        mtok = g["m"] or g["m2"]
        if not _capitalised(mtok):
            return None
        mo = _month(mtok)
        assert mo is not None
        y_ctx = _context_year(mo, published, sentence_year)
        if y_ctx is None:
            return None
        try:
            day = dt.date(y_ctx, mo, int(g["d"] or g["d2"]))
        except ValueError:
            return None
        return Period(day, day, "day")
    if kind == "half":
        if g["h"] or g["h3"]:
            h = int(g["h"] or g["h3"])
            y = int(g["y2"] or g["y3"])
        else:
            h = _ORD[g["o"].lower()]
            y_opt = _rel_year(g["y"], published, sentence_year)
            if y_opt is None:
                y_opt = _context_year(1 if h == 1 else 7, published, sentence_year)
            if y_opt is None:
                return None
            y = y_opt
        if h == 1:
            return Period(dt.date(y, 1, 1), dt.date(y, 6, 30), "half-year")
        return Period(dt.date(y, 7, 1), dt.date(y, 12, 31), "half-year")
    if kind == "quarter":
        if g["q"] or g["q3"]:
            q = int(g["q"] or g["q3"])
            y = int(g["y2"] or g["y3"])
        else:
            q = _ORD[g["o"].lower()]
            y_opt = _rel_year(g["y"], published, sentence_year)
            if y_opt is None:
                y_opt = _context_year(3 * q - 2, published, sentence_year)
            if y_opt is None:
                return None
            y = y_opt
        return Period(dt.date(y, 3 * q - 2, 1), _month_end(y, 3 * q), "quarter")
    if kind == "year_range":
        a = int(g["a"] or g["a2"] or g["a3"])
        btok = g["b"] or g["b2"] or g["b3"]
        b = int(btok) if len(btok) == 4 else (a // 100) * 100 + int(btok)
        if b <= a:
            return None
        return Period(dt.date(a, 1, 1), dt.date(b, 12, 31), "range")
    if kind == "decade":
        d0 = int(g["dec"]) * 10
        lo, hi = _DECADE_PART[g["q"].lower() if g["q"] else None]
        return Period(dt.date(d0 + lo, 1, 1), dt.date(d0 + hi, 12, 31), "range")
    if kind == "month_year":
        if not _capitalised(g["m"]):
            return None
        mo = _month(g["m"])
        assert mo is not None
        return _month_period(int(g["y"]), mo)
    if kind == "relative":
        if published is None:
            return None
        if g["unit"].lower() == "year":
            y = published.year - (1 if g["which"].lower() == "last" else 0)
            return _year_period(y)
        if g["which"].lower() == "this":
            return _month_period(published.year, published.month)
        prev = published.replace(day=1) - dt.timedelta(days=1)
        return _month_period(prev.year, prev.month)
    if kind == "vague":
        return Period(None, None, "unknown")
    if kind == "that_year":
        y_that = sentence_year if sentence_year is not None else last_year_named
        return _year_period(y_that) if y_that else None
    if kind == "month_only":
        if not _capitalised(g["m"]):
            return None
        mo = _month(g["m"])
        assert mo is not None
        if m.group(0).lower().startswith("last "):
            y_ctx = (
                published.year - 1
                if published and published.month <= mo
                else published.year
                if published
                else None
            )
        else:
            y_ctx = _context_year(mo, published, sentence_year)
        return _month_period(y_ctx, mo) if y_ctx is not None else None
    if kind == "fiscal":
        ytok = g["y"]
        y = int(ytok) if len(ytok) == 4 else 2000 + int(ytok)
        return _year_period(y)
    if kind == "year":
        return _year_period(int(g["y"]))
    return None  # "shift" is resolved by the caller


def _sentence_years(text: str, start: int, end: int) -> list[tuple[int, int, int]]:
    """Every explicit four-digit year of a sentence, found once per sentence.

    Args:
        text: Document text.
        start: Sentence start.
        end: Sentence end.

    Returns:
        (start, end, year) of each, in text order.
    """
    return [
        (start + m.start(), start + m.end(), int(m.group(0)))
        for m in _YEAR_RE.finditer(text[start:end])
    ]


def _sentence_year(years: Sequence[tuple[int, int, int]], skip: tuple[int, int]) -> int | None:
    """First explicit year of a sentence outside ``skip``.

    Args:
        years: The sentence's years (:func:`_sentence_years`).
        skip: Span to ignore (the mention being resolved).

    Returns:
        The year or ``None``.
    """
    for a, b, year in years:
        if b <= skip[0] or a >= skip[1]:
            return year
    return None


def _dateline_before(text: str, start: int, pos: int) -> bool:
    """Whether ``text[start:pos]`` ends with a dateline such as "SEOUL, ".

    That is: a word of three or more capitals, then only letters, spaces and
    ``.'-``, a comma and white space up to ``pos``. Looks back from ``pos``
    only over that run, so it costs time linear in the run.

    Args:
        text: Document text.
        start: Sentence start.
        pos: Where the day mention begins.

    Returns:
        True for a dateline.
    """
    j = pos
    while j > start and text[j - 1].isspace():
        j -= 1
    if j == start or text[j - 1] != ",":
        return False
    run_end = j - 1
    run_start = run_end
    while run_start > start and text[run_start - 1] in _DATELINE_CHARS:
        run_start -= 1
    if run_start == start:  # the sentence's start counts as a word boundary
        return _DATELINE_CAPS.search(text[start:run_end]) is not None
    return _DATELINE_CAPS.search(text, run_start, run_end) is not None


def find_periods(
    text: str,
    start: int,
    end: int,
    published: dt.date | None,
    last_year_named: int | None = None,
    named_periods: Sequence[NamedPeriod] = (),
) -> list[PeriodMention]:
    """Find time expressions in one sentence.

    Args:
        text: The document text.
        start: Sentence start.
        end: Sentence end.
        published: Publication date (for "last year", "so far", months
            without a year).
        last_year_named: The last explicit year named earlier in the document
            (for "that year").
        named_periods: Events the text may date a period from ("since the
            pandemic began"); they win over the built-in patterns, in order.

    Returns:
        Non-overlapping period mentions in text order. A dateline ("SEOUL,
        Jan 25 -") is not a period.
    """
    candidates: list[tuple[int, int, int, str, re.Match[str], NamedPeriod | None]] = []
    n_named = len(named_periods)
    for prio, event in enumerate(named_periods):
        for m in event.pattern.finditer(text, start, end):
            if m.end() > m.start():
                candidates.append(
                    (m.start(), -(m.end() - m.start()), prio, "since_named", m, event)
                )
    for prio, (kind, pat) in enumerate(_PATTERNS, n_named):
        for m in pat.finditer(text, start, end):
            if m.end() == m.start():
                continue
            candidates.append((m.start(), -(m.end() - m.start()), prio, kind, m, None))
    candidates.sort(key=lambda c: (c[0], c[2], c[1]))
    chosen: list[tuple[str, re.Match[str], NamedPeriod | None]] = []
    taken_until = -1
    # prefer earlier start, then priority, then length; skip overlaps
    for s, _neg_len, _prio, kind, m, named in candidates:
        if s < taken_until:
            continue
        chosen.append((kind, m, named))
        taken_until = m.end()
    years = _sentence_years(text, start, end)
    out: list[PeriodMention] = []
    for kind, m, named in chosen:
        if named is not None:
            period = Period(named.start, published, "cumulative-to")
            out.append(PeriodMention(m.start(), m.end(), period, kind))
            continue
        if kind == "day_noyear" and _dateline_before(text, start, m.start()):
            continue  # dateline
        if kind == "shift":
            prev = next((p for p in reversed(out) if p.kind != "shift"), None)
            if prev is None or prev.period.start is None:
                continue
            ytok = m.groupdict().get("y")
            if ytok and prev.period.start is not None:
                period = shift_year(prev.period, int(ytok) - prev.period.start.year)
            else:
                period = shift_year(prev.period, -1)
            out.append(PeriodMention(m.start(), m.end(), period, kind))
            continue
        s_year = _sentence_year(years, (m.start(), m.end()))
        if kind == "that_year":
            # "that year", "over the full year": the last year named before it
            before = re.findall(rf"\b{YEAR}\b", text[start : m.start()])
            s_year = int(before[-1]) if before else None
        period_opt = _resolve(kind, m, published, s_year, last_year_named)
        if period_opt is None:
            continue
        out.append(PeriodMention(m.start(), m.end(), period_opt, kind))
    return _merge_since_asof(out)


def _merge_since_asof(mentions: list[PeriodMention]) -> list[PeriodMention]:
    """Give "since 1998 ... by the end of 2018" one cumulative period (1998..2018).

    Both mentions keep their spans; each gets the merged period.

    Args:
        mentions: Mentions of one sentence, in order.

    Returns:
        The mentions, merged where a "since" and an "as of / by the end of"
        mention lie within 80 characters of each other.
    """
    out = list(mentions)
    for i, a in enumerate(out):
        if a.kind not in ("since", "since_named", "since_clause"):
            continue
        for j, b in enumerate(out):
            if b.kind == "asof" and abs(b.start - a.end) <= 80 and b.period.end is not None:
                merged = Period(a.period.start, b.period.end, "cumulative-to")
                out[i] = replace(a, period=merged)
                out[j] = replace(b, period=merged)
    return out
