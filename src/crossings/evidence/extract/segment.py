"""Paragraph and sentence segmentation with character offsets.

No sentence is longer than :data:`MAX_SENTENCE` characters: a longer run
without sentence punctuation (a table, a list, a page flattened to one line)
is cut at a line break, else after clause punctuation, else at a space, in
the second half of each window. Everything done per sentence is then bounded,
so segmentation and extraction take time linear in the length of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MAX_SENTENCE", "Sentence", "segment"]

#: Longest sentence (characters); longer runs are cut (see the module docstring).
MAX_SENTENCE = 1000
_CLAUSE_MARKS = ";:,"

_PARA_BREAK = re.compile(r"\n[ \t]*\n+")
_BOUNDARY = re.compile(
    r"[.!?]+[\"'”’)\]*]*(?=\s)|;(?=\s+[A-Z])|\n(?=\s*(?:[-*•]\s|\d+[.)]\s|[QA]:))"
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
