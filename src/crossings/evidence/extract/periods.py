"""Time expressions: what period a number refers to.

Supported (each resolved to a :class:`~crossings.evidence.types.Period`):

=====================================================  ===============================
expression                                             period
=====================================================  ===============================
"in 2017", "2017's", "2009 figures", "London 2012",    year
"fiscal 2019", "FY2019", "last year", "this year",
"that year" (the last year named before)
"the first half of 2018", "H1 2018", "first-half"     half-year
"the third quarter of 2019", "Q3 2019",                quarter
"third-quarter arrivals"
"the first quarter" (no year: the latest one ended
by publication); "in the third" after a quarter
(the next quarter of the same year)
"in March 2019", "last month", "in October" (no        month
year: the sentence's year, else the latest such
month not after publication), "in February of last
year"
"on 9 October 2023", "October 9, 2023", "2023-10-09"   day
"on Tuesday", "Friday night" (the latest such day
on or before publication), "today", "yesterday"
"between 2012 and 2019", "2012-2019", "in the          range
1990s", "between July and September 2017", "the
first five months of this year", "the first nine
months" (no year: the latest ended), "the three months
to the end of September", "the January-October
period", "in July–September last year", "so far this
year through August", "the final three months of
2023", "in 2021 and 2022 combined"
"since 1998", "since June", "since the 1990s",         cumulative-to (start .. published)
"since mid-April" (the 15th), "since late December"
(the 21st), "since late 2019" (September),
"since last year", "since the leader took power in
late 2011", "since the end of the 1950-53 war"
"since <a named period>": "since the pandemic began"   cumulative-to (its start .. published)
(named periods are passed in by the caller)
"as of end-2019", "as of the end of December",         cumulative-to (open start .. end)
"by the end of 2019", "as of October 2022", "as of
September last year", "at the end of 2021", "as of
the third quarter of 2024", "as of last month"
"so far this year", "in 2020 so far", "to date",       cumulative-to (.. published)
"currently", "now", "at present"
"the same period last year", "a year earlier"          the previous period in the
                                                       sentence (else the previous
                                                       sentence), one year earlier
"in the same period"                                   the previous period (claim
                                                       extraction passes the main
                                                       figure's period of the
                                                       sentence before, not a
                                                       comparison's)
=====================================================  ===============================

Not supported (no period): "the past decade", "recent years", "the early 2010s".

A day named as the time of reporting ("the ministry said on Tuesday") or a time
before a reported "that" clause ("told parliament in November that ...", "said
earlier this month that ...") is marked :attr:`PeriodMention.reporting`; claim
extraction leaves it out.

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
#: The day of a month, and the month of a year, that "early", "mid" and "late" start on.
_PART_DAY: Mapping[str, int] = MappingProxyType({"early": 1, "mid": 15, "late": 21})
_PART_MONTH: Mapping[str, int] = MappingProxyType({"early": 1, "mid": 5, "late": 9})
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
            rf"\bsince\s+(?:the\s+)?(?:[\w'-]+\s+){{1,12}}?(?:in\s+|on\s+(?P<d>\d{{1,2}})\s+|(?P<rel>last|this)\s+)"
            rf"(?:(?:early|mid|late)[-\s]+)?"
            rf"(?:(?P<m>{MONTH})(?:\s+(?P<y>{YEAR}))?|(?P<yo>{YEAR}))(?![\w-])"
        ),
    ),
    (
        "sofar_through",
        _rx(
            rf"\b(?:so\s+far\s+(?:this\s+year|in\s+(?P<y1>{YEAR}))|this\s+year|in\s+(?P<y2>{YEAR}))"
            rf",?\s+(?:so\s+far\s+)?(?:through|to|until|till|up\s+to)\s+(?:the\s+end\s+of\s+)?"
            rf"(?P<m>{MONTH})(?![\w-])"
        ),
    ),
    (
        "range_days",
        _rx(
            rf"\b(?:between|from)\s+(?P<m1>{MONTH})\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?"
            rf"(?:,?\s+(?P<y1>{YEAR}))?\s+(?:and|to|until|through|till)\s+"
            rf"(?:(?P<m2>{MONTH})\s+)?(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y2>{YEAR}))?"
            r"(?![\w-])"
            rf"|\b(?:between|from)\s+(?P<d3>\d{{1,2}})(?:st|nd|rd|th)?(?:\s+(?P<m3>{MONTH}))?"
            rf"\s+(?:and|to|until|through|till)\s+(?P<d4>\d{{1,2}})(?:st|nd|rd|th)?\s+"
            rf"(?P<m4>{MONTH})(?:,?\s+(?P<y4>{YEAR}))?(?![\w-])"
        ),
    ),
    (
        "range_months",
        _rx(
            rf"\b(?:(?:between|from|in|during|over|for)\s+)?(?:the\s+)?(?P<m1>{MONTH})(?:\s+(?P<y1>{YEAR}))?"
            rf"(?:\s+(?:and|to|until|through|till)\s+|\s*[-–—/]\s*)(?:the\s+end\s+of\s+)?"
            rf"(?P<m2>{MONTH})(?:\s+period)?(?:,?\s+(?:of\s+)?(?P<y2>{YEAR}|this\s+year|last\s+year"
            rf"|the\s+previous\s+year))?(?![\w-])"
        ),
    ),
    (
        "last_months",
        _rx(
            rf"\b(?:the\s+)?(?:last|final|closing)\s+(?P<n>{_NMONTHS})\s+months\s+of\s+"
            rf"(?P<y>{_REL_YEAR})"
        ),
    ),
    (
        # translated copy: "before year first half", "before year 2 quarter", "before year one
        # year total": the year before the publication year
        "before_year",
        _rx(
            r"\bbefore\s+year(?:['’]s)?\s+(?:(?P<o>first|second)\s+half|(?P<q>[1-4])\s+quarter"
            r"|one\s+year)\b"
        ),
    ),
    (
        # "this year's first-quarter intake", "last year's second half"
        "relyear_part",
        _rx(
            r"\b(?P<which>this|last)\s+year['’]s\s+(?P<o>first|second|third|fourth|1st|2nd|3rd|4th)"
            r"[-\s]+(?P<unit>quarter|half)\b"
        ),
    ),
    (
        "asof_part",
        _rx(
            r"\b(?:as\s+(?:of|at)|by|at)\s+(?:the\s+)?(?:end\s+of\s+(?:the\s+)?)?"
            r"(?P<o>first|second|third|fourth|1st|2nd|3rd|4th)\s+(?P<unit>quarter|half)"
            rf"(?:\s+(?:of\s+)?(?P<y>{YEAR}|this\s+year|last\s+year))?"
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
        _rx(
            rf"\b(?:the\s+)?first\s+(?P<n>{_NMONTHS})\s+months\b(?:\s+(?:of\s+)?(?P<y>{_REL_YEAR}))?"
        ),
    ),
    (
        "sofar",
        _rx(
            rf"\bso\s+far\s+(?:this\s+year|in\s+(?P<y1>{YEAR}))|\b(?:this\s+year|in\s+(?P<y2>{YEAR}))"
            r"\s+so\s+far\b|\bthis\s+year['’]s\s+(?:[\w-]+\s+){1,3}?(?:so\s+far|to\s+date)\b"
            r"|\bso\s+far\b|\bto\s+date\b|\byear[-\s]to[-\s]date\b"
        ),
    ),
    (
        # "since 1 October", "since October 1": cumulative from that day
        "since_day",
        _rx(
            rf"\bsince\s+(?:(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m>{MONTH})|(?P<m2>{MONTH})\s+"
            rf"(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?)(?:,?\s+(?P<y>{YEAR}))?(?![\w-])"
        ),
    ),
    (
        # translated copy: "This year 1~3 quarter accumulate", "September end as of"
        "quarter_span",
        _rx(r"\b(?:(?P<ty>this\s+year)\s+)?(?P<a>[1-4])\s*[~～–-]\s*(?P<b>[1-4])\s+quarters?\b"),
    ),
    (
        "month_end_asof",
        _rx(rf"\b(?P<m>{MONTH})\s+end\s+as\s+of\b"),
    ),
    (
        "since",
        _rx(
            rf"\bsince\s+(?:(?:the\s+)?(?:end|start|beginning)\s+of\s+)?(?:(?P<part>early|mid|late)[-\s]+)?"
            rf"(?:(?P<m>{MONTH})\s+)?(?P<y>{YEAR}|last\s+year|this\s+year"
            r"|(?<=of\s)the\s+(?:calendar\s+)?year)\b"
            rf"|\bsince\s+(?:the\s+)?(?P<dec>(?:19|20)\d)0s\b"
            rf"|\bsince\s+(?:(?P<part2>early|mid|late)[-\s]+)?(?P<m2>{MONTH})(?![\w-])(?!\s*\d)"
        ),
    ),
    (
        "asof",
        _rx(
            rf"\b(?:as\s+(?:of|at)|by|at|until|till|up\s+(?:to|until))\s+(?:the\s+)?end[-\s]+(?:of\s+)?"
            rf"(?:(?P<m>{MONTH})\s*)?"
            rf"(?:(?:of\s+)?(?P<y>{YEAR}|last\s+year|this\s+year|(?<=of\s)the\s+year))?"
            rf"|\bas\s+(?:of|at)\s+(?:(?P<m2>{MONTH}),?\s*(?:(?:of\s+)?(?P<y2>{YEAR}|last\s+year"
            rf"|this\s+year))?|(?P<y3>{YEAR})\b)"
            r"|\b(?:as\s+(?:of|at)|by)\s+(?:the\s+end\s+of\s+)?(?P<lm>last|this)\s+month\b"
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
        # "in the second half of November": days 16 to the month's end
        "half_month",
        _rx(
            rf"\b(?:the\s+)?(?P<o>first|second)\s+half\s+of\s+(?P<m>{MONTH})"
            rf"(?:,?\s+(?P<y>{YEAR}))?(?![\w-])"
        ),
    ),
    (
        "half",
        _rx(
            rf"\b(?:the\s+)?(?P<o>first|second|1st|2nd)[-\s]+half\b(?:\s+(?:of\s+)?(?P<y>{_REL_YEAR}))?"
            rf"|\bH(?P<h>[12])\s*(?P<y2>{YEAR})\b|\b(?P<y3>{YEAR})\s*H(?P<h3>[12])\b"
        ),
    ),
    (
        "quarter",
        _rx(
            rf"\b(?:the\s+)?(?P<o>first|second|third|fourth|1st|2nd|3rd|4th)[-\s]+quarter"
            rf"(?:\s+(?:of\s+)?(?P<y>{_REL_YEAR}))?|\bQ(?P<q>[1-4])\s*(?P<y2>{YEAR})\b"
            rf"|\b(?P<y3>{YEAR})\s*Q(?P<q3>[1-4])\b"
            # translated copy: "this year 2 quarter", "1 quarter entering persons"
            rf"|\b(?:(?P<ty>this\s+year)\s+)?(?P<qd>[1-4])\s+quarter\b"
        ),
    ),
    (
        "since_span",
        _rx(
            rf"\bsince\s+(?:the\s+)?(?:end\s+of\s+(?:the\s+)?)?(?P<a>{YEAR})\s*[-–—]\s*"
            r"(?P<b>(?:19|20)\d\d|\d\d)\s+(?:[A-Za-z-]+\s+){0,2}?(?:war|conflict|famine|crisis)\b"
        ),
    ),
    (
        "year_range",
        _rx(
            rf"\bbetween\s+(?P<a>{YEAR})\s+and\s+(?P<b>{YEAR})\b"
            rf"|\bfrom\s+(?P<a2>{YEAR})\s+(?:to|until|through)\s+(?P<b2>{YEAR})\b"
            rf"|\b(?P<a3>{YEAR})\s*[-–—]\s*(?P<b3>{YEAR}|\d\d)\b"
            rf"|\b(?:in\s+)?(?P<a4>{YEAR})\s+and\s+(?P<b4>{YEAR})\s+(?:combined|together|taken\s+together)\b"
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
        "month_rel",
        _rx(
            rf"\b(?:(?:in|during|for|by|of)\s+)?(?:(?:early|mid|late)[-\s]+)?(?P<m>{MONTH}),?\s+"
            r"(?:of\s+)?(?P<y>last\s+year|this\s+year|the\s+previous\s+year)\b"
        ),
    ),
    (
        "day_noyear",
        _rx(
            rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m>{MONTH})(?![\w-])(?!\s+\d)"
            rf"|\b(?P<m2>{MONTH})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\b(?!,?\s?\d)"
        ),
    ),
    (
        "relative",
        _rx(r"\b(?P<which>last|this)\s+(?P<unit>year|month)(?:'s)?(?!\s+\d)"),
    ),
    (
        "today",
        _rx(
            r"\b(?:earlier\s+|later\s+)?(?:today|tonight|this\s+(?:morning|afternoon|evening))\b"
            r"|\b(?P<yesterday>yesterday)\b"
        ),
    ),
    (
        "now",
        _rx(
            r"\b(?:currently|presently|at\s+present|as\s+things\s+stand|these\s+days"
            r"|to\s+this\s+day|(?<!until\s)(?<!till\s)(?<!for\s)now)\b(?!\s+that\b)"
        ),
    ),
    (
        "weekday",
        re.compile(
            r"\b(?:(?P<pre>[Oo]n|[Ll]ast|[Tt]his|[Ss]ince|[Ee]arly|[Ll]ate)\s+)?"
            r"(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
            r"(?:\s+(?:night|morning|evening|afternoon))?\b"
            rf"(?!,?\s+(?:\d|{MONTH}\s*\d|the\s+\d))"
        ),
    ),
    (
        "ordinal_bare",
        _rx(
            r"\b(?:in\s+|for\s+|during\s+)?the\s+(?:remaining\s+)?(?P<o>first|second|third|fourth)\b"
            r"(?=\s*(?:[,.;:)]|$|and\b|or\b|while\b|with\b|alone\b))"
        ),
    ),
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
            r"(?:years|decades?|months)\b|\bthe\s+decade\s+before\b"
        ),
    ),
    (
        "shift",
        _rx(
            rf"\bthe\s+same\s+(?:{_NMONTHS}\s+)?(?:period|time|months?|quarter|half)\s+(?:of\s+|in\s+)?"
            rf"(?:last\s+year|the\s+previous\s+year|a\s+year\s+(?:earlier|before|ago)|(?P<y>{YEAR}))"
            r"|\ba\s+year\s+(?:earlier|before|ago)\b|\bthe\s+previous\s+year\b|\bthe\s+year\s+before\b"
            # translated copy: "compared with before year", "than the previous year's"
            r"|\b(?:the\s+)?before\s+year\b|\bthe\s+preceding\s+year\b"
        ),
    ),
    (
        "same",
        _rx(
            rf"\b(?:in|during|over|for)\s+the\s+same\s+(?:period|time|months?|year|quarter"
            rf"|{_NMONTHS}\s+(?:years|months))\b"
            rf"(?!\s+(?:of\s+|in\s+)?(?:last\s+year|the\s+previous\s+year|a\s+year|{YEAR}))"
        ),
    ),
    (
        "month_only",
        _rx(
            rf"\b(?:in|during|until|from|last|this|early|mid|late|of)\s+(?:(?:early|mid|late)[-\s]+)?"
            rf"(?P<m>{MONTH})(?![\w-])(?!\s*\d)"
            # "at February's Winter Olympics": the month of the event
            rf"|(?:(?<=\bat\s)|(?<=\bon\s)|(?<=\bafter\s))(?P<m2>{MONTH})['’]s\b"
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
        reporting: A day named as the time of reporting rather than of what is
            reported ("the ministry said on Tuesday", "told reporters today").
    """

    start: int
    end: int
    period: Period
    kind: str
    reporting: bool = False


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


def _month_in_context(
    mtok: str | None, ytok: str | None, published: dt.date | None, sentence_year: int | None
) -> tuple[int, int] | None:
    """(year, month) of a month name, with its year as written or from the context.

    Args:
        mtok: The month as written (a lower-case "may" is no month).
        ytok: Its year as written, or ``None``.
        published: Publication date.
        sentence_year: An explicit year elsewhere in the sentence.

    Returns:
        (year, month) or ``None``.
    """
    if not mtok or not _capitalised(mtok):
        return None
    mo = _month(mtok)
    if mo is None:
        return None
    if ytok:
        return int(ytok), mo
    y = _context_year(mo, published, sentence_year)
    return None if y is None else (y, mo)


def _half_period(year: int, half: int) -> Period:
    """The first or second half of a year.

    Args:
        year: The year.
        half: 1 or 2.

    Returns:
        The half-year period.
    """
    if half == 1:
        return Period(dt.date(year, 1, 1), dt.date(year, 6, 30), "half-year")
    return Period(dt.date(year, 7, 1), dt.date(year, 12, 31), "half-year")


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


def _completed_year(
    first_month: int, last_month: int, published: dt.date | None, sentence_year: int | None
) -> int | None:
    """Year of a quarter, half or run of months named without a year.

    Args:
        first_month: Its first month.
        last_month: Its last month.
        published: Publication date.
        sentence_year: An explicit year elsewhere in the sentence.

    Returns:
        The sentence's year, else the latest year in which the period had
        ended by publication (figures for "the first quarter" published in
        February are last year's), else ``None``.
    """
    if sentence_year is not None:
        return sentence_year
    if published is None:
        return None
    y = published.year
    return y if _month_end(y, last_month) <= published else y - 1


def _weekday_before(published: dt.date, weekday: int, strictly: bool) -> dt.date:
    """The latest given weekday on (or strictly before) the publication date.

    Args:
        published: Publication date.
        weekday: 0 (Monday) to 6 (Sunday).
        strictly: Whether the publication day itself is excluded ("last Monday").

    Returns:
        The date.
    """
    back = (published.weekday() - weekday) % 7
    if back == 0 and strictly:
        back = 7
    return published - dt.timedelta(days=back)


def _count(token: str) -> int:
    """A small month count in words or digits.

    Args:
        token: "three" or "3".

    Returns:
        The count.
    """
    return int(token) if token.isdigit() else _COUNT_WORDS[token.lower()]


def _day_range(
    g: Mapping[str, str | None], published: dt.date | None, sentence_year: int | None
) -> Period | None:
    """A run of days: "between Feb. 10 and Feb. 25", "from 10 to 25 February 2024".

    Args:
        g: The ``range_days`` match's groups.
        published: Publication date.
        sentence_year: An explicit year elsewhere in the sentence.

    Returns:
        The range, or ``None`` (a month not capitalised, an impossible day).
    """
    if g["m1"] or g["d1"]:
        m1_tok, d1, m2_tok, d2 = g["m1"], g["d1"], g["m2"] or g["m1"], g["d2"]
        y_tok = g["y2"] or g["y1"]
    else:
        m1_tok, d1, m2_tok, d2 = g["m3"] or g["m4"], g["d3"], g["m4"], g["d4"]
        y_tok = g["y4"]
    if not (m1_tok and m2_tok and d1 and d2) or not (_capitalised(m1_tok) and _capitalised(m2_tok)):
        return None
    m1, m2 = _month(m1_tok), _month(m2_tok)
    assert m1 is not None and m2 is not None
    y2 = int(y_tok) if y_tok else _context_year(m2, published, sentence_year)
    if y2 is None:
        return None
    y1 = y2 if m1 <= m2 else y2 - 1
    try:
        first, last = dt.date(y1, m1, int(d1)), dt.date(y2, m2, int(d2))
    except ValueError:
        return None
    if last < first:
        return None
    return Period(first, last, "range")


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
        if g["yo"]:
            return Period(dt.date(int(g["yo"]), 1, 1), published, "cumulative-to")
        if not _capitalised(g["m"]):
            return None
        mo = _month(g["m"])
        assert mo is not None
        y_opt = int(g["y"]) if g["y"] else _context_year(mo, published, sentence_year)
        if y_opt is None:
            return None
        if g["d"]:
            # "since Kim Jong Un took power on 17 December 2011": from that day
            day_of_month = min(int(g["d"]), calendar.monthrange(y_opt, mo)[1])
            return Period(dt.date(y_opt, mo, day_of_month), published, "cumulative-to")
        if (g["rel"] or "").lower() == "last" and not g["y"] and published is not None:
            # "since the border reopened last August": the latest August before this month
            y_opt = published.year if mo < published.month else published.year - 1
        return Period(dt.date(y_opt, mo, 1), published, "cumulative-to")
    if kind == "range_days":
        return _day_range(g, published, sentence_year)
    if kind == "range_months":
        if not (_capitalised(g["m1"]) and _capitalised(g["m2"])):
            return None
        m1, m2 = _month(g["m1"]), _month(g["m2"])
        assert m1 is not None and m2 is not None
        y2_tok = g["y2"]
        y2 = (
            (int(y2_tok) if y2_tok.isdigit() else _rel_year(y2_tok, published, sentence_year))
            if y2_tok
            else _context_year(m2, published, sentence_year)
        )
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
        n = _count(g["n"])
        if not 1 <= n <= 12:
            return None
        if g["y"] is None or g["y"].lower().split() == ["the", "year"]:
            y = _completed_year(1, n, published, sentence_year)
        else:
            y = _rel_year(g["y"], published, sentence_year)
        if y is None:
            return None
        return Period(dt.date(y, 1, 1), _month_end(y, n), "range")
    if kind == "last_months":
        n = _count(g["n"])
        y = _rel_year(g["y"], published, sentence_year)
        if y is None or not 1 <= n <= 12:
            return None
        return Period(dt.date(y, 13 - n, 1), dt.date(y, 12, 31), "range")
    if kind == "sofar_through":
        if not _capitalised(g["m"]):
            return None
        mo = _month(g["m"])
        assert mo is not None
        ytok = g["y1"] or g["y2"]
        y = int(ytok) if ytok else (published.year if published else None)
        if y is None:
            return None
        return Period(dt.date(y, 1, 1), _month_end(y, mo), "range")
    if kind == "asof_part":
        o = _ORD[g["o"].lower()]
        half = g["unit"].lower() == "half"
        if half and o > 2:
            return None
        last = 6 * o if half else 3 * o
        ytok = g["y"]
        y_opt = (
            _rel_year(ytok, published, sentence_year)
            if ytok
            else _completed_year(last - (5 if half else 2), last, published, sentence_year)
        )
        if y_opt is None:
            return None
        return Period(None, _month_end(y_opt, last), "cumulative-to")
    if kind == "since_span":
        b_tok = g["b"]
        a = int(g["a"])
        b = int(b_tok) if len(b_tok) == 4 else (a // 100) * 100 + int(b_tok)
        if b < a:
            return None
        return Period(dt.date(b, 1, 1), published, "cumulative-to")
    if kind == "today":
        if published is None:
            return None
        day = published - dt.timedelta(days=1) if g["yesterday"] else published
        return Period(day, day, "day")
    if kind == "now":
        return Period(None, published, "cumulative-to") if published else None
    if kind == "weekday":
        if published is None:
            return None
        wd = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        pre = (g["pre"] or "").lower()
        day = _weekday_before(published, wd.index(g["wd"].lower()), strictly=pre == "last")
        if pre == "since":
            return Period(day, published, "cumulative-to")
        return Period(day, day, "day")
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
            # "since mid-April": the middle of the month; "since late December": its last third
            first_day = _PART_DAY.get((g["part2"] or "").lower(), 1)
            return Period(dt.date(y, mo, first_day), published, "cumulative-to")
        y_tok = g["y"]
        if y_tok.lower().startswith("the"):
            # "since the start of the year": this year, from its first day
            if published is None or "end of" in m.group(0).lower():
                return None
            return Period(dt.date(published.year, 1, 1), published, "cumulative-to")
        if not y_tok[0].isdigit():
            y_rel = _rel_year(y_tok, published, sentence_year)
            if y_rel is None:
                return None
            y_tok = str(y_rel)
        y = int(y_tok)
        if "end of" in m.group(0).lower():
            return Period(dt.date(y + 1, 1, 1), published, "cumulative-to")
        mo = _month(g["m"]) if g["m"] and _capitalised(g["m"]) else None
        part = (g["part"] or "").lower()
        if mo is None:
            # "since late 2019": the last months of the year
            return Period(dt.date(y, _PART_MONTH.get(part, 1), 1), published, "cumulative-to")
        return Period(dt.date(y, mo, _PART_DAY.get(part, 1)), published, "cumulative-to")
    if kind == "asof":
        if g["lm"]:  # "as of last month": cumulative to its end
            if published is None:
                return None
            if g["lm"].lower() == "this":
                return Period(None, published, "cumulative-to")
            prev = published.replace(day=1) - dt.timedelta(days=1)
            return Period(None, prev, "cumulative-to")
        mtok, ytok = (g["m"], g["y"]) if (g["m"] or g["y"]) else (g["m2"], g["y2"] or g["y3"])
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
            if g["y"] is None or g["y"].lower().split() == ["the", "year"]:
                first = 1 if h == 1 else 7
                y_opt = _completed_year(first, first + 5, published, sentence_year)
            else:
                y_opt = _rel_year(g["y"], published, sentence_year)
            if y_opt is None:
                return None
            y = y_opt
        if h == 1:
            return Period(dt.date(y, 1, 1), dt.date(y, 6, 30), "half-year")
        return Period(dt.date(y, 7, 1), dt.date(y, 12, 31), "half-year")
    if kind == "since_day":
        ym = _month_in_context(g["m"] or g["m2"], g["y"], published, sentence_year)
        if ym is None:
            return None
        y, mo = ym
        try:
            start = dt.date(y, mo, int(g["d"] or g["d2"]))
        except ValueError:
            return None
        return Period(start, published, "cumulative-to")
    if kind == "quarter_span":
        if published is None:
            return None
        a, b = int(g["a"]), int(g["b"])
        if b <= a:
            return None
        y = published.year
        return Period(dt.date(y, 3 * a - 2, 1), _month_end(y, 3 * b), "range")
    if kind == "month_end_asof":
        ym = _month_in_context(g["m"], None, published, sentence_year)
        return None if ym is None else Period(None, _month_end(*ym), "cumulative-to")
    if kind == "half_month":
        ym = _month_in_context(g["m"], g["y"], published, sentence_year)
        if ym is None:
            return None
        y, mo = ym
        if g["o"].lower() == "first":
            return Period(dt.date(y, mo, 1), dt.date(y, mo, 15), "range")
        return Period(dt.date(y, mo, 16), _month_end(y, mo), "range")
    if kind == "before_year":
        if published is None:
            return None
        y = published.year - 1
        if g["o"]:
            return _half_period(y, 1 if g["o"].lower() == "first" else 2)
        if g["q"]:
            q = int(g["q"])
            return Period(dt.date(y, 3 * q - 2, 1), _month_end(y, 3 * q), "quarter")
        return _year_period(y)
    if kind == "relyear_part":
        if published is None:
            return None
        y = published.year - (1 if g["which"].lower() == "last" else 0)
        o = _ORD[g["o"].lower()]
        if g["unit"].lower() == "half":
            return _half_period(y, o) if o <= 2 else None
        return Period(dt.date(y, 3 * o - 2, 1), _month_end(y, 3 * o), "quarter")
    if kind == "quarter":
        if g["qd"]:
            q = int(g["qd"])
            if g["ty"] and published is not None:
                y = published.year
            else:
                y_opt = _completed_year(3 * q - 2, 3 * q, published, sentence_year)
                if y_opt is None:
                    return None
                y = y_opt
            return Period(dt.date(y, 3 * q - 2, 1), _month_end(y, 3 * q), "quarter")
        if g["q"] or g["q3"]:
            q = int(g["q"] or g["q3"])
            y = int(g["y2"] or g["y3"])
        else:
            q = _ORD[g["o"].lower()]
            if g["y"] is None or g["y"].lower().split() == ["the", "year"]:
                y_opt = _completed_year(3 * q - 2, 3 * q, published, sentence_year)
            else:
                y_opt = _rel_year(g["y"], published, sentence_year)
            if y_opt is None:
                return None
            y = y_opt
        return Period(dt.date(y, 3 * q - 2, 1), _month_end(y, 3 * q), "quarter")
    if kind == "year_range":
        a = int(g["a"] or g["a2"] or g["a3"] or g["a4"])
        btok = g["b"] or g["b2"] or g["b3"] or g["b4"]
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
        if _THE_LAST_BEFORE.search(m.string, max(0, m.start() - 8), m.start()) and (
            _LAST_YEAR_CLAUSE.match(m.string, m.end(), m.end() + 40)
        ):
            return None  # "the last year before the border was sealed": no relative year
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
    if kind == "month_rel":
        if not _capitalised(g["m"]):
            return None
        mo = _month(g["m"])
        y_rel = _rel_year(g["y"], published, sentence_year)
        if mo is None or y_rel is None:
            return None
        return _month_period(y_rel, mo)
    if kind == "month_only":
        name = g["m"] or g["m2"]
        if not _capitalised(name):
            return None
        mo = _month(name)
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


_THE_LAST_BEFORE = re.compile(r"\bthe\s+$", re.IGNORECASE)
_LAST_YEAR_CLAUSE = re.compile(
    r"\s*(?:before|after|that|when|in\s+which|for\s+which|of\s+(?:the|its|his|her|their))\b",
    re.IGNORECASE,
)
_ANCHOR_KINDS = frozenset(
    {
        "since",
        "since_clause",
        "since_span",
        "since_named",
        "since_day",
        "asof",
        "asof_part",
        "shift",
    }
)


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
    previous_period: Period | None = None,
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
        previous_period: The last period named in an earlier sentence (for
            "in the same period" when the sentence names none before it).

    Returns:
        Non-overlapping period mentions in text order. A dateline ("SEOUL,
        Jan 25 -") is not a period. "in the third" after a quarter ("320 in
        the second quarter, 226 in the third") is the next quarter of the same
        year. A day named as the time of reporting ("said on Tuesday") is
        marked ``reporting``.
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
    # a year inside "since 1998", "as of 2019" or "the same quarter of 2023" is not the year of
    # the rest of the sentence
    anchored = [(m.start(), m.end()) for kind, m, _n in chosen if kind in _ANCHOR_KINDS]
    years = [
        y for y in _sentence_years(text, start, end) if not any(a <= y[0] < b for a, b in anchored)
    ]
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
            base = prev.period if prev is not None else previous_period
            anchor = None if base is None else (base.start or base.end)
            if base is None or anchor is None:
                continue
            ytok = m.groupdict().get("y")
            # a stock "as of the end of August" has no start: "a year earlier" moves its end
            years_back = int(ytok) - anchor.year if ytok else -1
            period = shift_year(base, years_back)
            out.append(PeriodMention(m.start(), m.end(), period, kind))
            continue
        if kind == "same":
            prev = next((p for p in reversed(out) if p.kind != "vague"), None)
            base = prev.period if prev is not None else previous_period
            if base is None:
                continue
            out.append(PeriodMention(m.start(), m.end(), base, kind))
            continue
        if kind == "ordinal_bare":
            ordinal = _ordinal_period(m, out)
            if ordinal is not None:
                out.append(PeriodMention(m.start(), m.end(), ordinal, kind))
            continue
        s_year = _sentence_year(years, (m.start(), m.end()))
        if kind == "that_year":
            # "that year", "over the full year": the last year named before it
            before = re.findall(rf"\b{YEAR}\b", text[start : m.start()])
            s_year = int(before[-1]) if before else None
        period_opt = _resolve(kind, m, published, s_year, last_year_named)
        if period_opt is None:
            continue
        reporting = (
            kind in ("weekday", "today") and _reporting_time(text, start, end, m)
        ) or _reported_that(text, start, end, m)
        out.append(PeriodMention(m.start(), m.end(), period_opt, kind, reporting))
    return _merge_since_asof(out)


_REPORTING_BEFORE = re.compile(
    r"\b(?:said|says|say|told\s+(?:[\w-]+\s+){0,2}?|announced|reported|showed|shows|released"
    r"|published|confirmed|stated|noted|added|disclosed|revealed|wrote|briefing|statement"
    r"|announcement|report)\s*,?\s*(?:on\s+|late\s+|early\s+)?$",
    re.IGNORECASE,
)
_REPORTING_AFTER = re.compile(
    r"\s*,?\s*(?:said|says|announced|told|reported|released|published|confirmed)\b",
    re.IGNORECASE,
)


def _reporting_time(text: str, start: int, end: int, m: re.Match[str]) -> bool:
    """Whether a day names when something was reported ("the ministry said on Tuesday").

    Args:
        text: Document text.
        start: Sentence start.
        end: Sentence end.
        m: The day mention.

    Returns:
        True when an attributing verb comes right before or after it.
    """
    before = text[max(start, m.start() - 40) : m.start()]
    if _REPORTING_BEFORE.search(before):
        return True
    return _REPORTING_AFTER.match(text, m.end(), min(end, m.end() + 20)) is not None


_REPORTING_VERB_BEFORE = re.compile(
    r"\b(?:said|says|told\s+(?:[\w-]+\s+){0,2}?|announced|reported|stated|noted|disclosed"
    r"|revealed|wrote|estimated)\s*(?:\b(?:earlier|later|only|first)\s+)?$",
    re.IGNORECASE,
)


def _reported_that(text: str, start: int, end: int, m: re.Match[str]) -> bool:
    """Whether a time names when a "that" clause was reported ("told parliament in November that").

    Args:
        text: Document text.
        start: Sentence start.
        end: Sentence end.
        m: The time mention.

    Returns:
        True for "<said> <time> that ...".
    """
    if not re.match(r"\s*,?\s+that\b", text[m.end() : min(end, m.end() + 12)]):
        return False
    before = text[max(start, m.start() - 40) : m.start()]
    return _REPORTING_VERB_BEFORE.search(before) is not None


def _ordinal_period(m: re.Match[str], earlier: Sequence[PeriodMention]) -> Period | None:
    """Resolve "in the third" after "in the second quarter": that quarter of the same year.

    Args:
        m: The bare ordinal.
        earlier: The sentence's periods before it.

    Returns:
        The period, or ``None`` without a quarter or half before it.
    """
    o = _ORD[m.group("o").lower()]
    for p in reversed(earlier):
        if p.period.start is None or p.period.end is None:
            continue
        months = (p.period.end.year - p.period.start.year) * 12
        months += p.period.end.month - p.period.start.month + 1
        if p.period.granularity == "quarter" or (p.kind == "first_months" and months == 3):
            y = p.period.start.year
            return Period(dt.date(y, 3 * o - 2, 1), _month_end(y, 3 * o), "quarter")
        if p.period.granularity == "half-year" or (p.kind == "first_months" and months == 6):
            if o > 2:
                return None
            y = p.period.start.year
            return Period(dt.date(y, 6 * o - 5, 1), _month_end(y, 6 * o), "half-year")
        return None
    return None


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
