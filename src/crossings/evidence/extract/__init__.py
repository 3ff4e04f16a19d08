"""Offline claim extraction: numbers with subject, period, place and attribution.

The public API:

* :func:`extract_claims` turns a document's stored text into
  :class:`~crossings.evidence.types.ExtractedClaim` objects whose spans refer to
  that exact text.
* :func:`~crossings.evidence.extract.text.html_to_text` and
  :func:`~crossings.evidence.extract.text.plain_to_text` produce that text (and
  metadata) from a fetched page or a plain/markdown file.
* :func:`~crossings.evidence.extract.furniture.document_date` reads the date a
  text gives itself (its dateline); page furniture (footnote marks, slide
  counters, tables of contents, sidebars of other headlines) is found by
  :mod:`~crossings.evidence.extract.furniture` and never yields a claim.
* :func:`~crossings.evidence.extract.bench.run_benchmark` measures the extractor
  against the shipped labelled set.
"""

from __future__ import annotations

from crossings.evidence.extract.claims import EXTRACTOR_VERSION, extract_claims
from crossings.evidence.extract.text import DocumentText, html_to_text, plain_to_text

__all__ = ["EXTRACTOR_VERSION", "DocumentText", "extract_claims", "html_to_text", "plain_to_text"]
