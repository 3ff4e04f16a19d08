"""Shared helpers for the evidence tests: a deterministic stand-in extractor."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from crossings.evidence.types import Attribution, ExtractedClaim, Period

_ARRIVED = re.compile(r"In (\d{4}), ([\d,]+) North Koreans arrived")
_BY = re.compile(r"the ([A-Z][\w ]+?) said")


def fake_extract(
    text: str, *, published: dt.date | None = None, places: Sequence[str] = ()
) -> list[ExtractedClaim]:
    """Claims 'In YEAR, N North Koreans arrived …, the X said' with exact spans."""
    del published, places
    out = []
    for m in _ARRIVED.finditer(text):
        year = int(m.group(1))
        by = _BY.search(text, m.end())
        out.append(
            ExtractedClaim(
                kind="count",
                value=float(m.group(2).replace(",", "")),
                qualifier="exact",
                unit="people",
                subject="arrived",
                sex=None,
                period=Period(dt.date(year, 1, 1), dt.date(year, 12, 31), "year"),
                place=None,
                attribution=Attribution(by.group(1), by.start(1), by.end(1)) if by else None,
                start=m.start(),
                end=m.end(),
                quote=m.group(0),
                confidence=0.7,
                method="fake",
                version="test-1",
            )
        )
    return out


SECRET_TEXT = (
    "Top Secret Title\n\nIn 2009, 3,100 North Koreans arrived in the South, "
    "the Hidden Ministry Official said. SECRETWORD appears here.\n"
)
SECRET_MARKERS = (
    "Top Secret Title",
    "Hidden Publisher",
    "Jane Hidden",
    "secret.example",
    "Hidden Ministry Official",
    "SECRETWORD",
    "secret-notes.txt",
    "3,100 North Koreans arrived",
)
