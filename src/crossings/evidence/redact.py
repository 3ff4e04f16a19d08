r"""The one place where evidence becomes output, with confidential sources redacted.

A confidential source's claims stay usable: their values, periods, subjects
and links to parameters are shown. Its identity is not: title, publisher,
author, URL, citation, note, file name, hashes, the attributed-source text of
its claims and their quotes are replaced by :data:`REDACTED`, and the source is
named ``[confidential source <id>]``. Only an explicit
``show_confidential=True`` (``--show-confidential`` on the command line) shows
them.

Every command, JSON export and report path calls :func:`redact` (or
:func:`source_name`, built on the same rule) to turn records into dicts. The
same holds for everything else that is printed or logged:

* a file of a confidential batch is named ``[confidential file #N]`` (its
  position in the batch), never by its path (:func:`file_label`);
* an error is described by :func:`describe_error`, which never includes the
  values of a database statement (and :func:`scrub` removes known secrets
  from any other message);
* stored text is made safe for a terminal by :func:`clean_text` (terminal
  escape sequences, control characters and bidirectional overrides removed),
  and JSON by :func:`safe_json` (the same characters written as ``\uXXXX``,
  so the data is unchanged).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from crossings.evidence.records import (
    AuditRecord,
    ClaimRecord,
    FileOutcome,
    LinkedClaim,
    SourceRecord,
    confidence_label,
)

REDACTED = "[redacted]"

# ESC and 8-bit sequences (ECMA-48): string commands (OSC, DCS, SOS, PM, APC) up to
# their terminator, or to the end when unterminated; CSI with parameters; other ESC
# sequences of one final character.
_TERMINAL_SEQUENCE = re.compile(
    r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|\x1b[ -/]*[0-~]?"
)
# C0 and C1 controls other than tab and newline, DEL, bidirectional controls
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\t\n\u2028\u2029]")
# what JSON leaves as is but a terminal acts on (json.dumps escapes C0 itself)
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]")

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


def clean_text(text: object, *, multiline: bool = False) -> str:
    r"""Text that is safe to print on a terminal: what every printed value goes through.

    Terminal escape sequences (CSI such as ``\x1b[2J``, OSC such as the
    hyperlink ``\x1b]8;;URL\x07``, their 8-bit forms such as ``\x9b``),
    the other C0 and C1 control characters, DEL and bidirectional overrides
    (``\u202e``) are removed.

    Args:
        text: The value (``None`` is empty; anything else is ``str()``-ed).
        multiline: Keep newlines and tabs; otherwise they become spaces.

    Returns:
        The cleaned text.
    """
    if text is None:
        return ""
    out = _CONTROL.sub("", _TERMINAL_SEQUENCE.sub("", str(text)))
    if multiline:
        return out.replace("\u2028", "\n").replace("\u2029", "\n")
    return _LINE_BREAKS.sub(" ", out)


def safe_json(data: Any) -> str:
    r"""One JSON document (indented), with every character a terminal acts on escaped.

    ``json.dumps`` escapes C0 controls (ESC included); C1 controls, DEL,
    bidirectional overrides and line separators are written as ``\uXXXX``
    too, so printing the document is safe and reading it back gives the same
    data.
    """
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def describe_error(exc: BaseException) -> str:
    """An error as one line that never includes the values it was about.

    A database error (SQLAlchemy's, which wraps the driver's in ``orig``) is
    the driver's error class and the first line of its message: the SQL
    statement and its parameters (a confidential source's title, say) and
    PostgreSQL's ``DETAIL`` line (the values of a duplicate key) are left out.

    Args:
        exc: The error.

    Returns:
        ``"IntegrityError: UNIQUE constraint failed: sources.id"`` and the like.
    """
    orig = getattr(exc, "orig", None)
    if isinstance(orig, BaseException):
        inner = orig
    elif type(exc).__module__.startswith("sqlalchemy"):
        return type(exc).__name__  # a statement error without a driver error: no text
    else:
        inner = exc
    first = next((line.strip() for line in str(inner).splitlines() if line.strip()), "")
    return f"{type(inner).__name__}: {first}" if first else type(inner).__name__


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """A message with every occurrence of the given secrets replaced by :data:`REDACTED`.

    Secrets shorter than three characters are left alone (they would match
    everywhere and identify nothing).

    Args:
        text: The message.
        secrets: Titles, names, addresses, paths, hashes, ...

    Returns:
        The message.
    """
    for secret in sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def file_label(
    path: Path | str, index: int, confidential: bool, *, show: bool = False, noun: str = "file"
) -> str:
    """How a file of a batch is named in output: its path, or its placeholder.

    Args:
        path: The file.
        index: Its position in the batch, or among the arguments (1-based).
        confidential: Whether it was added as confidential.
        show: Show confidential files' paths (explicit opt-in).
        noun: What the position counts ("file", "path argument").

    Returns:
        The path, or ``[confidential file #N]``.
    """
    if confidential and not show:
        return f"[confidential {noun} #{index}]"
    return str(path)


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


def _outcome(o: FileOutcome, show: bool) -> dict[str, Any]:
    reason = o.reason
    if o.same_as is not None:
        other = file_label(o.same_as, o.same_as_index, o.confidential, show=show)
        reason = f"same content as {other} in this batch"
    source_id = o.source_id
    if o.status == "duplicate" and o.existing_confidential and not o.confidential and not show:
        source_id, reason = None, "already stored, as a confidential source"
    return {
        "path": file_label(o.path, o.index, o.confidential, show=show),
        "status": o.status,
        "source_id": source_id,
        "claims": o.claims,
        "reason": reason,
        "warnings": list(o.warnings),
    }


def redact(
    record: SourceRecord | ClaimRecord | LinkedClaim | AuditRecord | FileOutcome,
    *,
    show_confidential: bool = False,
    confidential_sources: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """A record as a JSON-ready dict, with confidential identity redacted.

    Args:
        record: A source, claim, linked claim, audit entry or the outcome of
            adding a file (its path becomes ``[confidential file #N]``).
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
    if isinstance(record, FileOutcome):
        return _outcome(record, show_confidential)
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
