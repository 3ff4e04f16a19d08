"""Shared helpers for the evidence tests: a stand-in extractor, a concurrent writer."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Sequence
from typing import Any

from crossings.evidence.types import Attribution, ExtractedClaim, NamedPeriod, Period

_ARRIVED = re.compile(r"In (\d{4}), ([\d,]+) North Koreans arrived")
_BY = re.compile(r"the ([A-Z][\w ]+?) said")


def fake_extract(
    text: str,
    *,
    published: dt.date | None = None,
    places: Sequence[str] = (),
    named_periods: Sequence[NamedPeriod] = (),
) -> list[ExtractedClaim]:
    """Claims 'In YEAR, N North Koreans arrived …, the X said' with exact spans."""
    del published, places, named_periods
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


def concurrent_add(db: str, paths: list[str], barrier: Any, results: Any, pause: float) -> None:
    """One of several processes adding a batch to one store at the same moment.

    Runs in a child process (``multiprocessing``, spawn): waits at the barrier
    so that the batches start together, and slows each document's write down
    by ``pause`` seconds, so that the write transactions surely overlap. Puts
    ``("ok", [(file name, status, source id), ...])`` or ``("error", message)``
    on the ``results`` queue.
    """
    import crossings.evidence.ingest as ingest_mod  # noqa: PLC0415
    from crossings.evidence.ingest import ingest_paths  # noqa: PLC0415
    from crossings.evidence.store import open_store  # noqa: PLC0415

    real = ingest_mod.store_document

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(pause)
        return real(*args, **kwargs)

    ingest_mod.store_document = slow  # type: ignore[assignment]
    try:
        with open_store(db) as store:
            barrier.wait(timeout=120)
            report = ingest_paths(store, paths)
        results.put(("ok", [(o.path.name, o.status, o.source_id) for o in report.outcomes]))
    except BaseException as exc:  # reported to the test, which fails on it
        results.put(("error", f"{type(exc).__name__}: {exc}"))
