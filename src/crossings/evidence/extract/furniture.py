r"""Page furniture: the parts of a page whose numbers are never claims, and the dateline.

Real pages carry numbers that belong to the page, not to the story: footnote
marks ("[3]", "camps.23"), slide counters ("Slide 4 of 12", "[2/10]"), view
counters ("3,812 views"), tables of contents (dot leaders, paragraph and page
columns), the front matter of a report ("Distr.: General", "GE.16-03381",
"A/HRC/25/63", "Thirty-first session"), footnote lines under a rule or a
"Notes" heading, time stamps ("Written: 2016-11-14 13:52:27", "Posted ...",
"Last updated ..."), comment boxes ("You have 2000 characters left"), lists of
other headlines under "Latest headlines" / "Most viewed" / "Editor's Pick"
(with their rank numbers and "(LEAD)" / "(2nd LD)" tags) and the dateline at
the head of a wire story ("SEOUL, Oct. 15 (Yonhap) --", "Seoul, Feb 2 (IANS):",
"(Seoul, May 16, 2024) –", "[Outlet= Reporter] SEOUL, Oct. 19 —").

:func:`furniture_spans` finds them in one pass over the lines of the text
(time linear in its length); :func:`document_date` reads the publication date
a text gives itself: its dateline ("SEOUL, January 17, 2025 —"), else a
"Published:" / "Posted" / "Date:" / "Updated" line near its top.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["Dateline", "dateline_at", "document_date", "furniture_spans"]

_MONTHS = (
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"
)  # fmt: skip
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"


def _date(tag: str) -> str:
    """A date pattern whose groups carry ``tag`` (one pattern may hold several).

    Args:
        tag: Suffix of the group names.

    Returns:
        The pattern: "Oct. 15", "October 15, 2024", "9 June 2019", "2016-11-14",
        "2024.10.08" (Korean pages' "Input 2024.10.08 11:42"), optionally after a weekday.
    """
    return (
        rf"(?:(?:{_WEEKDAY},?\s+)?(?P<m1{tag}>{_MONTH})\s+(?P<d1{tag}>\d{{1,2}})(?:st|nd|rd|th)?"
        rf"(?:,?\s+(?P<y1{tag}>(?:19|20)\d\d))?"
        rf"|(?:{_WEEKDAY},?\s+)?(?P<d2{tag}>\d{{1,2}})\s+(?P<m2{tag}>{_MONTH})"
        rf"(?:,?\s+(?P<y2{tag}>(?:19|20)\d\d))?"
        rf"|(?P<y3{tag}>(?:19|20)\d\d)(?P<sep{tag}>[-./])(?P<mo3{tag}>[01]\d)(?P=sep{tag})"
        rf"(?P<d3{tag}>[0-3]\d)(?!\d))"
    )


_TAGS = ("a", "b", "c", "d")
_PLACE_WORD = r"[A-Z][A-Za-z.'’-]+"
_PLACE = (
    rf"{_PLACE_WORD}(?:[ -]{_PLACE_WORD}){{0,3}}(?:,\s*{_PLACE_WORD}(?:\s{_PLACE_WORD}){{0,2}})?"
)
_AGENCY = r"\((?:[A-Z][\w .&'’-]{1,40})\)"
#: a dateline at the start of a paragraph (the date, an agency or a place in capitals)
_DATELINE = re.compile(
    rf"(?:\[[^\]\n]{{1,60}}\]\s*)?"
    rf"(?:\((?P<pp>{_PLACE}),\s*{_date('a')}\)"
    rf"|(?P<place>{_PLACE})(?:,\s*{_date('b')})?(?:\s*\((?:{_date('c')})\))?"
    rf"(?P<agency>\s*{_AGENCY})?)"
    r"\s*(?:--|[-–—:])(?=\s)"
)
_CAPS_WORD = re.compile(r"\b[A-Z]{3,}\b")

_DATED_LINE = re.compile(
    # "Hanbit News | Politics | Input 2024.10.08 11:42", "Morning Report  Input 2025.02.11"
    r"(?:[^\n]{0,80}?(?:[|·•]|\s{2,})\s*)?"
    r"\s*[*_]*\s*(?:Published|Posted|Date|Dated|Written|Last\s+updated|Updated|Issued|Input"
    r"|Inputted|Registered|Broadcast|Aired|Recorded|First\s+broadcast)\s*(?:on\s*)?:?"
    rf"\s*{_date('d')}",
    re.IGNORECASE,
)
# a line that opens with a full date: "*31 January 2025 · Monthly notes ... · 5 min read*"
_DATE_FIRST_LINE = re.compile(rf"\s*[*_]*\s*{_date('d')}\s*[*_]*\s*(?:[·|•—–]|$)")
_DATE_FIRST_LINES = 8
"""How many of a text's first lines may be a line that opens with its date."""

_SIDEBAR = re.compile(
    r"\s*(?:most\s+(?:popular|read|viewed|shared|commented)(?:\s+(?:this\s+week|today|stories))?"
    r"|trending(?:\s+now)?|related(?:\s+(?:articles|reports|stories|posts|content|reading|news))?"
    r"|read\s+(?:more|next)|see\s+also"
    r"|more\s+(?:from\s+[\w ]{1,30}|stories|news|on\s+this(?:\s+story)?)"
    r"|you\s+may\s+also\s+like|recommended(?:\s+for\s+you)?|popular(?:\s+(?:now|stories|posts))?"
    r"|latest(?:\s+(?:news|stories|headlines|updates|articles))?|top\s+(?:stories|news|headlines)"
    r"|editor'?’?s\s+picks?|in\s+case\s+you\s+missed\s+it|other\s+headlines|headlines"
    r"|also\s+(?:in|on)\s+[\w ]{1,30}|what\s+to\s+read\s+next|don'?’?t\s+miss)\s*:?\s*$",
    re.IGNORECASE,
)
# "Related: 5 smugglers handed terms | Border fence extended by 40 km": other stories, one line
_SIDEBAR_INLINE = re.compile(
    r"\s*[*_#▶►▸•·→»>-]*\s*(?:related(?:\s+(?:articles|reports|stories|posts|content|reading|news|coverage))?"
    r"|read\s+(?:more|next|also)|also\s+read|see\s+also|more\s+from\s+[\w ]{1,30}|latest"
    r"|trending|most\s+(?:read|viewed|popular))\s*[*_]*\s*:\s*[*_]*\s*\S",
    re.IGNORECASE,
)
_TAGGED_HEADLINE = re.compile(
    r"\s*\((?:LEAD|URGENT|\d+(?:st|nd|rd|th)\s+LD|News\s+Focus|[A-Z][a-z]+\s+Interview|EDITORIAL"
    r"|AMPLIFY|Photo|Video|Graphics|Feature|Update|Live|Breaking|Exclusive)[^)\n]{0,30}\)"
)
_RANK_LINE = re.compile(r"\s*[-–•]?\s*\d{1,2}\s*[.)]?\s*$")
_CONTENTS = re.compile(r"\s*(?:table\s+of\s+)?contents\s*:?\s*$", re.IGNORECASE)
_NOTES = re.compile(
    r"\s*(?:notes|footnotes|endnotes|references|sources|citations)\s*:?\s*$", re.IGNORECASE
)
_RULE = re.compile(r"\s*(?:_{3,}|-{3,}|\*{3,}|—{2,})\s*$")
_LEADERS = re.compile(r"\.{4,}|(?:\.\s){4,}|…{2,}|·{4,}")
_TOC_COLUMNS = re.compile(r"\S\s{2,}\d{1,4}(?:\s*[–-]\s*\d{1,4})?\s{2,}\d{1,4}\s*$")
_FRONT_MATTER = re.compile(
    r"\s*(?:Distr\.?\s*:|Original\s*:|Agenda\s+item\b|GE\.\d|ISBN\b|ISSN\b|Printed\s+in\b|\*\d+\*"
    r"|(?:[A-Z]+\s+)*(?:United\s+Nations|UNITED\s+NATIONS)\b.*\b[A-Z]/[A-Z.]+/\d"
    r"|[A-Z]/(?:HRC|RES|C\.\d|\d)[\w./]*\s*$|-\s*\d{1,4}\s*-\s*$|\d{1,4}\s*$"
    r"|(?:[A-Z][a-z]+-)?[A-Za-z]+(?:-[a-z]+)?\s+session\s*$"
    r"|(?:Written|Updated|Published|Posted|Last\s+updated|Date|Time|Dated)\s*:"
    r"|By\s+[A-Z][^\n]{0,60}(?:\||·|Published|Posted|Updated)"
    r"|You\s+have\s+\d+\s+characters|Loading\b|Views\s+[\d,]+|Slide\s+\d+\s*(?:of|/)\s*\d+)"
)
# marks inside a line: footnote marks, slide and view counters, weather
_INLINE = re.compile(
    r"\[\d{1,3}(?:\s*[,–-]\s*\d{1,3})*\]|\[[ivxlc]{1,6}\]|\[citation\s+needed\]|\^\d{1,3}"
    r"|[¹²³⁴⁵⁶⁷⁸⁹⁰]+|\[\d{1,3}\s*/\s*\d{1,3}\]|\bSlide\s+\d+\s*(?:of|/)\s*\d+"
    r"|(?<![\w.,])[\d,]+\s+(?:views|downloads|likes|comments|shares|reads|embeds)\b"
    r"|\b(?:Views|Likes|Downloads|Comments|Embeds)\s+[\d,]+"
    r"|\b(?:Views|Likes|Downloads|Comments|Replies|Shares|Reactions)\s*\(\s*[\d,]+\s*\)"
    r"|(?<![\w.])\d{1,2}\.\d\s?°?C\b|\b\d{1,3}\s?°[CF]\b"
    # a bibliography's volume, issue and pages: "Korea Migration Review 9(1): 33-51."
    r"|\b\d{1,4}\s*\(\d{1,3}\)\s*:\s*\d{1,5}\s*[-–]\s*\d{1,5}\b",
    re.IGNORECASE,
)
# "12. The panel ...", "1. Minister's Schedule", "(a) ...": the number of a paragraph or item
_ITEM_NUMBER = re.compile(r"[ \t]*(?:#+[ \t]*)?(?:\d{1,3}|[ivxIVX]{1,5}|[a-zA-Z])[.)](?=[ \t]+\S)")
# "4 Detention in China": a report's numbered section heading (a short line, no full stop)
_HEADING_NUMBER = re.compile(r"[ \t]*\d{1,2}[ \t]+(?=[A-Z][a-z]+(?:[ \t]+[\w'’-]+){0,6}[ \t]*$)")
# "3.1 BJN documented ...", "2.4 The panel ...": a report's numbered paragraph
_SECTION_NUMBER = re.compile(r"[ \t]*\d{1,2}(?:\.\d{1,2}){1,3}\.?(?=[ \t]+[A-Z(\"“‘])")
# "Sent Back | Border Justice Network 2025        5": a running header or footer with its page
_RUNNING_HEAD = re.compile(
    r"[ \t]*(?=[^\n]*[A-Za-z])[^\n.!?;]{3,100}?\S(?:[ \t]{3,}|[ \t]+\|[ \t]+(?:page[ \t]+)?)"
    r"\d{1,4}[ \t]*$",
    re.IGNORECASE,
)
# "2008160", "201052", "2011 (to Dec.)41": a table row whose year and count lost their column
_FLAT_ROW = re.compile(
    r"[ \t]*(?:19[5-9]\d|20[0-3]\d)(?:\d{1,6}|[ \t]*\([^)\n]{0,20}\)[\d,]+)[ \t]*$"
)
_FOOTNOTE_LINE = re.compile(r"\s*(?:\[\d{1,3}\]|\d{1,3}(?=\s+[A-Z\"“]))")
_MAX_SIDEBAR_WORDS = 16


@dataclass(frozen=True)
class Dateline:
    """A dateline at the head of a paragraph.

    Attributes:
        start: Offset of the dateline.
        end: End offset (after its dash or colon).
        date: The date it states with a year, else ``None``.
        month: The month it states (1-12), else ``None``.
        day: The day it states, else ``None``.
    """

    start: int
    end: int
    date: dt.date | None
    month: int | None
    day: int | None


def _month_number(token: str | None) -> int | None:
    """Month number of a month token ("Oct.", "October").

    Args:
        token: The token.

    Returns:
        1-12 or ``None``.
    """
    if not token:
        return None
    key = token.strip(".").lower()[:3]
    return _MONTHS.index(key) + 1 if key in _MONTHS else None


def _date_of(m: re.Match[str]) -> tuple[dt.date | None, int | None, int | None]:
    """The date, month and day of a :data:`_DATE` match.

    Args:
        m: A match of a pattern containing :data:`_DATE`.

    Returns:
        (date with a year or ``None``, month, day).
    """
    all_groups = m.groupdict()
    tag = next(
        (t for t in _TAGS if any(all_groups.get(f"{k}{t}") for k in ("m1", "m2", "y3"))), None
    )
    if tag is None:
        return None, None, None
    g = {k[: -len(tag)]: v for k, v in all_groups.items() if k.endswith(tag)}
    if g.get("y3"):
        y, mo, d = int(g["y3"]), int(g["mo3"]), int(g["d3"])
    else:
        mo_opt = _month_number(g.get("m1") or g.get("m2"))
        d_tok = g.get("d1") or g.get("d2")
        if mo_opt is None or d_tok is None:
            return None, None, None
        mo, d = mo_opt, int(d_tok)
        y_tok = g.get("y1") or g.get("y2")
        if not y_tok:
            return None, mo, d if 1 <= d <= 31 else None
        y = int(y_tok)
    if not 1 <= mo <= 12 or not 1 <= d <= calendar.monthrange(y, mo)[1]:
        return None, None, None
    return dt.date(y, mo, d), mo, d


def dateline_at(text: str, pos: int, end: int) -> Dateline | None:
    """The dateline that starts a paragraph at ``pos``, if any.

    A dateline is a place (and optionally its date and a news agency in
    brackets) followed by a dash or colon: "SEOUL, Oct. 15 (Yonhap) --",
    "Seoul, Feb 2 (IANS):", "CHIANG RAI, 9 June 2019 –", "(Seoul, May 16,
    2024) –". A place in mixed case needs a date or an agency, so that an
    ordinary sentence is not taken for one.

    Args:
        text: The document text.
        pos: Paragraph start.
        end: Paragraph end.

    Returns:
        The dateline or ``None``.
    """
    m = _DATELINE.match(text, pos, min(end, pos + 160))
    if m is None:
        return None
    date, month, day = _date_of(m)
    place = m.group("place") or m.group("pp") or ""
    if month is None and not m.group("agency") and not _CAPS_WORD.search(place):
        return None
    return Dateline(m.start(), m.end(), date, month, day)


def _paragraph_starts(text: str, limit: int) -> list[int]:
    """Offsets where the first paragraphs start (up to ``limit`` characters in).

    Args:
        text: The document text.
        limit: How far to look.

    Returns:
        Offsets of paragraph starts, in order.
    """
    starts = [0]
    for m in re.finditer(r"\n[ \t]*\n\s*", text[:limit]):
        starts.append(m.end())
    return starts


def document_date(text: str) -> dt.date | None:
    """The publication date a text gives itself, or ``None``.

    The dateline of one of its first paragraphs ("SEOUL, January 17, 2025 —")
    wins; else a "Published:" / "Posted" / "Date:" / "Last updated" / "Broadcast:" line in its
    first 2,000 characters.

    Args:
        text: The document text (or a plain file's content).

    Returns:
        The date or ``None``.
    """
    limit = min(len(text), 2000)
    for start in _paragraph_starts(text, limit)[:8]:
        dl = dateline_at(text, start, len(text))
        if dl is not None and dl.date is not None:
            return dl.date
    pos = 0
    line = 0
    while pos < limit:
        nl = text.find("\n", pos, limit)
        stop = limit if nl < 0 else nl
        m = _DATED_LINE.match(text, pos, stop)
        if m is None and line < _DATE_FIRST_LINES:
            m = _DATE_FIRST_LINE.match(text, pos, stop)
        if m is not None:
            date, _mo, _d = _date_of(m)
            if date is not None:
                return date
        pos = stop + 1
        line += 1
    return None


def _words(line: str) -> int:
    """Number of words of a line.

    Args:
        line: The line.

    Returns:
        The count.
    """
    return len(line.split())


def furniture_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the text whose numbers are page furniture, in text order.

    Whole lines: front matter, time stamps, table-of-contents lines, footnote
    lines (under a rule or a "Notes" heading, or starting with "[n]"), rank
    numbers and tagged headlines, and the short lines that follow a sidebar
    heading ("Latest headlines", "Most viewed", ...). Parts of lines:
    datelines at paragraph starts, footnote marks, slide and view counters.

    Args:
        text: The document text.

    Returns:
        Non-overlapping spans sorted by start.
    """
    spans: list[tuple[int, int]] = []
    in_sidebar = False
    in_contents = False
    in_notes = False
    para_start = True
    pos = 0
    n = len(text)
    while pos <= n:
        nl = text.find("\n", pos)
        stop = n if nl < 0 else nl
        line = text[pos:stop]
        stripped = line.strip()
        if not stripped:
            in_contents = False
            para_start = True
            pos = stop + 1
            if nl < 0:
                break
            continue
        whole = False
        if _SIDEBAR.match(line):
            in_sidebar, whole = True, True
        elif in_sidebar:
            if _words(stripped) <= _MAX_SIDEBAR_WORDS and not stripped.endswith("."):
                whole = True
            else:
                in_sidebar = False
        if not whole:
            if _CONTENTS.match(line):
                in_contents, whole = True, True
            elif _NOTES.match(line) or _RULE.match(line):
                in_notes, whole = True, True
            elif (in_notes and _FOOTNOTE_LINE.match(line)) or (
                in_contents
                or _LEADERS.search(line)
                or _TOC_COLUMNS.search(line)
                or _FRONT_MATTER.match(line)
                or _RUNNING_HEAD.match(line)
                or _FLAT_ROW.match(line)
                or _RANK_LINE.match(line)
                or _TAGGED_HEADLINE.match(line)
                or _SIDEBAR_INLINE.match(line)
                or (line.lstrip().startswith("[") and re.match(r"\s*\[\d{1,3}\]\s", line))
            ):
                whole = True
            else:
                in_notes = in_notes and bool(_FOOTNOTE_LINE.match(line))
        if whole:
            spans.append((pos, stop))
        else:
            if para_start:
                lead = len(line) - len(line.lstrip())
                dl = dateline_at(text, pos + lead, stop)
                if dl is not None:
                    spans.append((dl.start, dl.end))
            item = (
                _ITEM_NUMBER.match(text, pos, stop)
                or _SECTION_NUMBER.match(text, pos, stop)
                or _HEADING_NUMBER.match(text, pos, stop)
            )
            if item is not None:
                spans.append((item.start(), item.end()))
            for m in _INLINE.finditer(text, pos, stop):
                spans.append((m.start(), m.end()))
        para_start = False
        pos = stop + 1
        if nl < 0:
            break
    spans.sort()
    return spans
