"""Plain data types shared by claim extraction and the evidence store.

Extraction (:mod:`crossings.evidence.extract`) produces :class:`ExtractedClaim`
objects from a document's stored text; the store
(:mod:`crossings.evidence.store`) persists them as claims whose spans refer to
that exact text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

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
