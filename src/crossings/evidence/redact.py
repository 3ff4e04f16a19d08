"""The one place where evidence becomes output, with confidential sources redacted.

A confidential source's claims stay usable: their values, periods, subjects
and links to parameters are shown. Its identity is not: title, publisher,
author, URL, citation, note, file name, hashes, the attributed-source text of
its claims and their quotes are replaced by :data:`REDACTED`, and the source is
named ``[confidential source <id>]``. Only an explicit
``show_confidential=True`` (``--show-confidential`` on the command line) shows
them.

Every command, JSON export and report path calls :func:`redact` (or
:func:`source_name`, built on the same rule) to turn records into dicts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from crossings.evidence.records import (
    AuditRecord,
    ClaimRecord,
    LinkedClaim,
    SourceRecord,
    confidence_label,
)

REDACTED = "[redacted]"

_SOURCE_SECRET = (
    "title",
    "publisher",
    "author",
    "url",
    "citation",
    "note",
    "file_name",
    "raw_sha256",
    "text_sha256",
)
_CLAIM_SECRET = ("attributed_to", "quote", "note")


def confidential_label(source_id: str) -> str:
    """The placeholder name of a confidential source."""
    return f"[confidential source {source_id}]"


def source_name(
    source_id: str, label: str, confidential: bool, *, show_confidential: bool = False
) -> str:
    """How a source is named in output: its label, or the confidential placeholder."""
    if confidential and not show_confidential:
        return confidential_label(source_id)
    return label


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def redact(
    record: SourceRecord | ClaimRecord | LinkedClaim | AuditRecord,
    *,
    show_confidential: bool = False,
    confidential_sources: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """A record as a JSON-ready dict, with confidential identity redacted.

    Args:
        record: A source, claim, linked claim or audit entry.
        show_confidential: Show confidential sources in full (explicit opt-in).
        confidential_sources: Ids of confidential sources (needed for audit
            entries, whose before/after snapshots may quote a claim).

    Returns:
        The record's fields; for a confidential source (or a claim of one) the
        identifying fields are replaced by :data:`REDACTED`.
    """
    if isinstance(record, LinkedClaim):
        out = redact(record.claim, show_confidential=show_confidential)
        out["link"] = record.link
        return out
    data = {k: _jsonable(v) for k, v in dataclasses.asdict(record).items()}
    if isinstance(record, SourceRecord):
        data["label"] = source_name(
            record.id, record.label, record.confidential, show_confidential=show_confidential
        )
        if record.confidential and not show_confidential:
            for k in _SOURCE_SECRET:
                if data.get(k) is not None:
                    data[k] = REDACTED
        return data
    if isinstance(record, ClaimRecord):
        data["source_label"] = source_name(
            record.source_id,
            record.source_label,
            record.source_confidential,
            show_confidential=show_confidential,
        )
        data["period"] = record.period_text
        data["value_text"] = record.value_text
        data["confidence_label"] = confidence_label(record.confidence)
        if record.source_confidential and not show_confidential:
            for k in _CLAIM_SECRET:
                if data.get(k) is not None:
                    data[k] = REDACTED
        return data
    # an audit entry: its snapshots may hold a confidential claim's quote
    if not show_confidential and record.source_id in confidential_sources:
        for side in ("before", "after"):
            snap = data.get(side)
            if isinstance(snap, dict):
                data[side] = {
                    k: (REDACTED if k in (*_CLAIM_SECRET, *_SOURCE_SECRET) and v is not None else v)
                    for k, v in snap.items()
                }
    return data
