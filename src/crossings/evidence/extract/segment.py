"""Paragraph and sentence segmentation with character offsets.

A paragraph whose lines are items rather than wrapped prose -- a slide, a
timeline, a table, a list of other headlines, front matter -- is first cut at
its line breaks: a line break ends a sentence when the next line starts like
an item (a bullet, a digit, a bracket, a table bar, a date such as "May 10",
"Q." / "A.") or with a capital while the line before neither ends with a word
that needs more ("of", "the", a comma) nor is as long as the paragraph's
wrapped lines. A footnote mark after a full stop ("in March.[1] Most",
"camps.23 Former", "in 2014.16 In") stays with its sentence.

No sentence is longer than :data:`MAX_SENTENCE` characters: a longer run
without sentence punctuation (a table, a list, a page flattened to one line)
is cut at a line break, else after clause punctuation, else at a space, in
the second half of each window. Everything done per sentence is then bounded,
so segmentation and extraction take time linear in the length of the text.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

__all__ = ["MAX_SENTENCE", "Sentence", "segment"]

#: Longest sentence (characters); longer runs are cut (see the module docstring).
MAX_SENTENCE = 1000
_CLAUSE_MARKS = ";:,"

_PARA_BREAK = re.compile(r"\n[ \t]*\n+")
_BOUNDARY = re.compile(
    r"(?<=[A-Za-z”\"’)])[.!?](?:\[\d{1,3}(?:[,–-]\s?\d{1,3})*\]|\d{1,3})[\"'”’)]*(?=\s)"
    r"|(?<=(?:19|20)\d\d)\.\d{1,3}(?=\s+[A-Z])"
    r"|[.!?]+[\"'”’)\]*]*(?=\s)|;(?=\s+[A-Z])|\n(?=\s*(?:[-*•]\s|\d+[.)]\s|[QA]:))"
)
_MONTH_START = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}\b"
# a line that starts like a list item, a table row or a slide: always a new sentence
_ITEM_START = re.compile(
    r"[ \t]*(?:[-*•·▪–]\s|\[|\||#|[QA][.:]\s|Slide\b"
    rf"|(?:{_MONTH_START}|\d{{1,2}}:\d{{2}}\w*|\d{{4}})(?:[ \t]{{2,}}|\t))"
)
# a line that may start a new item (a timeline date, a rank, a tagged headline) or prose
_MAYBE_START = re.compile(rf"[ \t]*(?:[\"'“‘(]?[A-Z]|\d|\(|{_MONTH_START})")
_NEEDS_MORE = re.compile(
    r"(?:[,;:(–—/&-]|\b(?:the|a|an|of|to|and|or|in|on|at|for|with|by|from|as|that|which|who"
    r"|than|its|their|his|her|is|are|was|were))\s*$",
    re.IGNORECASE,
)
_NEXT_START = re.compile(r"\s+[\"'“‘(\[]?[A-Z0-9•*-]")
_ABBREV = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "no",
        "nos",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "u.s",
        "u.n",
        "u.k",
        "e.g",
        "i.e",
        "vs",
        "approx",
        "gen",
        "lt",
        "col",
        "sgt",
        "rep",
        "sen",
        "gov",
        "inc",
        "ltd",
        "co",
        "corp",
        "fig",
        "vol",
        "p",
        "pp",
        "a.m",
        "p.m",
        "jr",
        "sr",
        "est",
        "dept",
        "univ",
        "mt",
        "ft",
        "cf",
        "ca",
        "c",
    }
)


@dataclass(frozen=True)
class Sentence:
    """A sentence of the text.

    Attributes:
        start: Offset of the first non-space character.
        end: Offset just past the last character.
        paragraph: Index of the paragraph the sentence belongs to.
        index: Index of the sentence in the document.
    """

    start: int
    end: int
    paragraph: int
    index: int


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a span so that it neither starts nor ends with whitespace.

    Args:
        text: The document text.
        start: Span start.
        end: Span end.

    Returns:
        The trimmed span (empty when only whitespace).
    """
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Return (start, end) of each non-empty paragraph.

    Args:
        text: The document text.

    Returns:
        Paragraph spans in order.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _PARA_BREAK.finditer(text):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    return [span for span in (_trim(text, s, e) for s, e in spans) if span[1] > span[0]]


def _split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split one paragraph into sentence spans.

    A boundary is sentence-final punctuation (optionally followed by closing
    quotes or brackets) followed by whitespace and a capital letter, digit,
    opening quote or list marker, unless the word before the full stop is a
    known abbreviation or a single capital initial. A semicolon followed by a
    capitalised word and a newline before a list item also split. A
    sentence longer than :data:`MAX_SENTENCE` is cut into pieces.

    Args:
        text: The document text.
        start: Paragraph start.
        end: Paragraph end.

    Returns:
        Sentence spans in order.
    """
    out: list[tuple[int, int]] = []
    for a, b in _line_pieces(text, start, end):
        out.extend(_split_piece(text, a, b))
    return out


def _line_pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut a paragraph at the line breaks that end items (see the module docstring).

    Args:
        text: The document text.
        start: Paragraph start.
        end: Paragraph end.

    Returns:
        Spans of the pieces, in order, covering the paragraph.
    """
    if text.find("\n", start, end) < 0:
        return [(start, end)]
    lines: list[tuple[int, int]] = []
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl
        lines.append((pos, stop))
        pos = stop + 1
    longest = max(b - a for a, b in lines)
    pieces: list[tuple[int, int]] = []
    piece_start = start
    for (a, b), (c, _d) in itertools.pairwise(lines):
        line = text[a:b]
        if _ITEM_START.match(text, c):
            cut = True
        elif _MAYBE_START.match(text, c):
            wrapped = longest >= 50 and (b - a) >= 0.75 * longest
            cut = not wrapped and not _NEEDS_MORE.search(line)
        else:
            cut = False
        if cut:
            pieces.append((piece_start, b))
            piece_start = c
    pieces.append((piece_start, end))
    return pieces


def _split_piece(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split one piece of a paragraph into sentence spans (see :func:`_split_sentences`).

    Args:
        text: The document text.
        start: Piece start.
        end: Piece end.

    Returns:
        Sentence spans in order.
    """
    spans: list[tuple[int, int]] = []
    s = start
    for m in _BOUNDARY.finditer(text, start, end):
        cut = m.end()
        mark = m.group(0)
        if mark.startswith("."):
            word = _last_word(text, s, m.start()).lower().strip("(\"'“")
            if word in _ABBREV or (len(word) == 1 and word.isalpha()):
                continue
        if mark[0] in ".!?" and not _NEXT_START.match(text, cut, end):
            continue
        spans.append((s, cut))
        s = cut
    spans.append((s, end))
    out: list[tuple[int, int]] = []
    for span in spans:
        a, b = _trim(text, *span)
        while b - a > MAX_SENTENCE:
            cut = _cut_point(text, a, a + MAX_SENTENCE)
            head = _trim(text, a, cut)
            if head[1] > head[0]:
                out.append(head)
            a, b = _trim(text, cut, b)
        if b > a:
            out.append((a, b))
    return out


def _last_word(text: str, start: int, end: int) -> str:
    """The last whitespace-separated word of ``text[start:end]`` ("" when none).

    Looks back from ``end`` only as far as the word goes, so a long sentence
    with many full stops that do not end it costs time linear in its length.

    Args:
        text: The document text.
        start: Start of the span.
        end: End of the span.

    Returns:
        The word.
    """
    j = end
    while j > start and text[j - 1].isspace():
        j -= 1
    i = j
    while i > start and not text[i - 1].isspace():
        i -= 1
    return text[i:j]


def _cut_point(text: str, start: int, limit: int) -> int:
    """Where to cut an over-long sentence: in the second half of ``[start, limit)``.

    A line break is preferred, then clause punctuation followed by a space,
    then a space; without any, the cut is at ``limit``.

    Args:
        text: The document text.
        start: Start of the sentence (not whitespace).
        limit: ``start + MAX_SENTENCE``.

    Returns:
        The offset where the next piece starts (after the punctuation mark).
    """
    lo = start + (limit - start) // 2
    newline = text.rfind("\n", lo, limit)
    if newline >= 0:
        return newline
    best = -1
    for mark in _CLAUSE_MARKS:
        p = text.rfind(mark, lo, limit - 1)
        while p >= 0 and not text[p + 1].isspace():
            p = text.rfind(mark, lo, p)
        best = max(best, p)
    if best >= 0:
        return best + 1
    for p in range(limit - 1, lo - 1, -1):
        if text[p].isspace():
            return p
    return limit


def segment(text: str) -> list[Sentence]:
    """Split a document into sentences, remembering their paragraphs.

    Paragraphs are separated by blank lines.

    Args:
        text: The document text.

    Returns:
        All sentences in document order.
    """
    sentences: list[Sentence] = []
    for p_index, (ps, pe) in enumerate(_paragraph_spans(text)):
        for a, b in _split_sentences(text, ps, pe):
            sentences.append(Sentence(a, b, p_index, len(sentences)))
    return sentences
