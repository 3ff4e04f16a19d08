"""Paragraph and sentence segmentation with character offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Sentence", "segment"]

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
    capitalised word and a newline before a list item also split.

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
            before = text[s : m.start()].rsplit(None, 1)
            word = before[-1].lower().strip("(\"'“") if before else ""
            if word in _ABBREV or (len(word) == 1 and word.isalpha()):
                continue
        if mark[0] in ".!?" and not _NEXT_START.match(text, cut, end):
            continue
        spans.append((s, cut))
        s = cut
    spans.append((s, end))
    return [span for span in (_trim(text, a, b) for a, b in spans) if span[1] > span[0]]


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
