"""The evidence store on SQLite and on a real PostgreSQL server started by the tests."""

from __future__ import annotations

import ast
import datetime as dt
import itertools
import json
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

import crossings
from crossings.evidence import db as db_mod
from crossings.evidence import ingest as ingest_mod
from crossings.evidence.builtin import builtin_claims
from crossings.evidence.conflicts import find_conflicts
from crossings.evidence.extract import text as text_mod
from crossings.evidence.ingest import BatchWriteError, IngestError, IngestOptions, ingest_paths
from crossings.evidence.models import AuditEntry, Base, Claim, Document, Source
from crossings.evidence.redact import REDACTED, describe_error, redact
from crossings.evidence.store import (
    EvidenceStore,
    StoreError,
    UnknownClaimError,
    database_url,
    default_data_dir,
    open_store,
)
from crossings.scenario.provenance import parameter_table
from evidence_helpers import SECRET_MARKERS, SECRET_TEXT, concurrent_add, fake_extract
from pg_server import PgServer, find_bin_dir, start_server

_names = itertools.count(1)


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSINGS_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail(
                "CI is set but PostgreSQL (initdb, pg_ctl) is not installed: "
                "the PostgreSQL store tests must run in CI"
            )
        pytest.skip(
            "PostgreSQL binaries (initdb, pg_ctl) not found on PATH or in "
            "/usr/lib/postgresql/*/bin: PostgreSQL variant skipped"
        )
    server = start_server(bin_dir)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tmpl") / "builtin.sqlite"
    open_store(path).close()
    return path


@pytest.fixture(scope="session")
def pg_template(pg: PgServer) -> str:
    pg.execute("CREATE DATABASE builtin_tmpl")
    open_store(pg.url("builtin_tmpl")).close()
    return "builtin_tmpl"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_db(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no tables yet."""
    if backend == "sqlite":
        return str(tmp_path / "empty.sqlite")
    server: PgServer = request.getfixturevalue("pg")
    name = f"t{next(_names)}"
    server.execute(f"CREATE DATABASE {name}")
    return server.url(name)


@pytest.fixture
def builtin_db(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with the built-in evidence loaded (a copy of a session template)."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "builtin.sqlite"
        shutil.copy(template, path)
        return str(path)
    server: PgServer = request.getfixturevalue("pg")
    tmpl = request.getfixturevalue("pg_template")
    name = f"t{next(_names)}"
    server.execute(f"CREATE DATABASE {name} TEMPLATE {tmpl}")
    return server.url(name)


@pytest.fixture
def store(builtin_db: str) -> Iterator[EvidenceStore]:
    s = open_store(builtin_db)
    yield s
    s.close()


def _write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _ingested(store: EvidenceStore) -> list[str]:
    return [s.id for s in store.sources() if s.origin == "ingested"]


# ----------------------------------------------------------------- schema
def test_migrated_schema_matches_models(empty_db: str) -> None:
    s = open_store(empty_db, load_builtin=False)
    try:
        with s.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diffs == []
        with s.engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert version == "0001"
    finally:
        s.close()
    # opening again is a no-op (already at head)
    open_store(empty_db, load_builtin=False).close()


def test_default_location_and_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSINGS_DATA_DIR", str(tmp_path / "elsewhere"))
    assert default_data_dir() == tmp_path / "elsewhere"
    assert database_url(None) == f"sqlite:///{tmp_path / 'elsewhere' / 'evidence.sqlite'}"
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("x.sqlite") == "sqlite:///x.sqlite"
    with pytest.raises(StoreError, match="unsupported database URL"):
        database_url("mysql://u@h/db")
    s = open_store(load_builtin=False)
    s.close()
    assert (tmp_path / "elsewhere" / "evidence.sqlite").is_file()


def test_unreachable_database_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open evidence database"):
        open_store(f"postgresql://nobody@/nodb?host={tmp_path}/nosocket&port=1")
    with pytest.raises(StoreError, match="is a folder"):
        open_store(tmp_path)


def test_import_has_no_side_effects(tmp_path: Path) -> None:
    env = {**os.environ, "CROSSINGS_DATA_DIR": str(tmp_path / "d")}
    code = (
        "import crossings.evidence, crossings.evidence.store, crossings.evidence.builtin, "
        "crossings.evidence.ingest, crossings.evidence.cli, crossings.cli"
    )
    p = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    assert not (tmp_path / "d").exists()


# ----------------------------------------------------------------- built-in evidence
def test_builtin_load_is_idempotent(store: EvidenceStore) -> None:
    n_sources, n_claims = len(store.sources()), len(store.claims())
    links = store.parameter_links("north-korea")
    assert n_sources >= 94 and n_claims > 500
    assert not store.ensure_builtin()  # up to date: nothing to do
    assert store.ensure_builtin(force=True)  # reloading changes nothing
    assert (len(store.sources()), len(store.claims())) == (n_sources, n_claims)
    assert store.parameter_links("north-korea").keys() == links.keys()
    loads = [a for a in store.audit() if a.action == "load-builtin"]
    assert len(loads) == 2 and loads[1].after is not None
    assert loads[1].after["claims_added"] == 0


def test_builtin_sources_and_claims_follow_the_data(store: EvidenceStore) -> None:
    sc = crossings.load_scenario("north-korea").scenario
    stored = {s.id: s for s in store.sources()}
    assert set(sc.sources) <= set(stored)
    assert stored["S1"].reliability == "A" and stored["S5"].reliability == "E"
    assert stored["S88"].citation == sc.sources["S88"].citation
    final_2009 = [
        c
        for c in store.claims(subject="arrived")
        if c.period_text == "2009" and c.sex is None and c.value == 2914
    ]
    assert {c.source_id for c in final_2009} >= {"S1", "S3", "S4", "S16", "S18"}
    s2 = store.claims(source="S2")
    assert any(c.value == 2927 and c.period_text == "2009" and c.sex is None for c in s2)
    # ~1998 is cumulative to the end of 1998; 1999-2001 a range
    bucket = [c for c in store.claims(source="S1") if c.period_text == "..1998-12-31"]
    assert {c.value for c in bucket} == {947, 831, 116}
    # only sources without any figure get a "scenario-use" rule claim, labelled so
    uses = [c for c in store.claims() if c.method == "scenario-use"]
    assert {c.source_id for c in uses} == {"DS", "VT"}
    assert all(
        c.kind == "rule" and c.value is None and c.statement and "not a figure" in (c.note or "")
        for c in uses
    )
    # every built-in claim's source is a source of the scenario (nothing invented)
    assert {s.source for s in builtin_claims(sc.sources)} <= set(sc.sources)


def test_every_north_korea_parameter_shows_claims_or_its_assumption(store: EvidenceStore) -> None:
    sc = crossings.load_scenario("north-korea").scenario
    links = store.parameter_links("north-korea")
    rows = parameter_table(sc)
    assert len(rows) > 100
    problems = []
    for r in rows:
        linked = links.get(r.path, [])
        if not linked and not r.assumption:
            problems.append(f"{r.path}: no claim and no assumption")
        # each source a parameter cites contributes at least one claim
        missing = set(r.sources) - {lc.claim.source_id for lc in linked}
        if missing:
            problems.append(f"{r.path}: no claim of {sorted(missing)}")
    assert problems == []
    size = {lc.claim.value for lc in links["delegations[0].size"]}
    assert {51, 56} <= size
    wave = links["detention[0].waves[2]"]
    assert all(lc.claim.period_text == "2023-10-09" for lc in wave if lc.claim.kind == "count")


def test_every_observation_row_is_linked(store: EvidenceStore) -> None:
    sc = crossings.load_scenario("north-korea").scenario
    links = store.observation_links("north-korea")
    for obs in sc.observations:
        for row in obs.rows:
            key = (
                str(row.year)
                if row.year is not None
                else f"{row.years[0]}-{row.years[1]}"
                if row.years is not None
                else row.date.isoformat()
                if row.date
                else ""
            )
            assert links.get((obs.id, key)), (obs.id, key)
    arr = links[("arrivals", "2009")]
    assert {lc.claim.value for lc in arr if lc.claim.sex is None} == {2914}


# ----------------------------------------------------------------- conflicts
def test_builtin_conflicts_are_the_real_ones(store: EvidenceStore) -> None:
    found = {
        (c.key.subject, c.key.sex, c.key.period, c.key.place): c
        for c in find_conflicts(store.claims())
    }
    c2009 = found[("arrived", "total", "2009", "")]
    assert c2009.reference.value == 2914
    assert {"S1", "S3", "S4"} <= set(c2009.reference.sources)
    sides = {s.value: s for s in c2009.sides}
    assert sides[2927].relative_difference == pytest.approx(13 / 2914)
    assert sides[2952].relative_difference == pytest.approx(38 / 2914)
    assert "S2" in sides[2927].sources and sides[2952].sources == ("S24",)
    assert c2009.max_relative_difference == pytest.approx(38 / 2914)
    london = found[("athletes", "total", "2012", "london")]
    assert london.reference.value == 51 and london.reference.sources == ("S88",)
    other = next(s for s in london.sides if s.value == 56)
    assert set(other.sources) == {"S88", "HF"}
    assert other.relative_difference == pytest.approx(5 / 51)
    assert not other.agrees_with_reference
    # equal figures from many sources are no conflict
    assert ("arrived", "total", "2019", "") not in found


# ----------------------------------------------------------------- reviews and audit
def test_review_transitions_append_audit_entries(store: EvidenceStore) -> None:
    claim = store.claims(source="S88", subject="athletes")[0]
    before = store.audit()
    r1 = store.review(claim.id, "reject", actor="alice")
    assert r1.changed and r1.claim.review_state == "rejected"
    r2 = store.review(
        claim.key, "edit", {"value": "52", "period": "2012", "sex": "none"}, actor="bob"
    )
    assert r2.claim.review_state == "edited" and r2.claim.value == 52
    r3 = store.review(claim.id, "accept", actor="carol")
    assert r3.claim.review_state == "accepted"
    assert not store.review(claim.id, "accept", actor="carol").changed  # no-op, no entry
    after = store.audit()
    assert after[: len(before)] == before  # earlier entries never rewritten
    new = after[len(before) :]
    assert [(a.actor, a.action, a.claim_id) for a in new] == [
        ("alice", "reject", claim.id),
        ("bob", "edit", claim.id),
        ("carol", "accept", claim.id),
    ]
    assert new[1].before is not None and new[1].after is not None
    assert new[1].before["value"] == 51 and new[1].after["value"] == 52
    assert new[0].before is not None and new[0].before["review_state"] == "accepted"
    assert [a.action for a in store.audit(claim=claim.id)] == ["reject", "edit", "accept"]


def test_bad_reviews_are_refused_without_entries(store: EvidenceStore) -> None:
    n = len(store.audit())
    claim = store.claims(source="S1")[0]
    with pytest.raises(UnknownClaimError):
        store.review("no-such-claim", "accept")
    with pytest.raises(StoreError, match="cannot edit 'colour'"):
        store.review(claim.id, "edit", {"colour": "red"})
    with pytest.raises(StoreError, match="qualifier must be"):
        store.review(claim.id, "edit", {"qualifier": "roughly"})
    with pytest.raises(StoreError, match="not a period"):
        store.review(claim.id, "edit", {"period": "last year"})
    with pytest.raises(StoreError, match="unknown review action"):
        store.review(claim.id, "approve")
    assert len(store.audit()) == n
    assert store.claim(claim.id) == claim


def test_audit_log_is_append_only_in_the_database(store: EvidenceStore) -> None:
    assert not [n for n in dir(store) if "audit" in n and n not in ("audit",)]
    n = len(store.audit())
    for sql in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(text(sql))
    with store.transaction() as session, pytest.raises(DBAPIError, match="append-only"):
        entry = session.scalars(select(AuditEntry)).first()
        assert entry is not None
        entry.actor = "mallory"
        session.flush()
    assert len(store.audit()) == n
    assert all(a.actor != "mallory" for a in store.audit())


# ----------------------------------------------------------------- ingestion
def test_ingest_stores_suggested_claims_with_exact_spans(
    store: EvidenceStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_mod, "extract_claims", fake_extract)
    text_in = (
        "Report.\n\nIn 2009, 2,914 North Koreans arrived in the South, the Ministry of "
        "Unification said. In 2010, 2,402 North Koreans arrived as well.\n"
    )
    doc = _write(tmp_path, "docs/a.md", text_in)
    report = ingest_paths(
        store,
        [doc],
        IngestOptions(title="A report", date=dt.date(2011, 1, 5), reliability="B"),
        places=["Seoul"],
    )
    (o,) = report.outcomes
    assert o.status == "stored" and o.claims == 2 and o.source_id
    src = store.source(o.source_id)
    assert src is not None and src.title == "A report" and src.published == dt.date(2011, 1, 5)
    assert src.reliability == "B" and src.raw_sha256 and src.text_sha256
    assert src.extractor_version and src.retrieved is not None
    stored_text = store.document_text(o.source_id)
    assert stored_text is not None
    claims = store.claims(source=o.source_id)
    assert [c.value for c in claims] == [2914, 2402]
    for c in claims:
        assert c.review_state == "suggested"
        assert c.span_start is not None and c.span_end is not None
        assert stored_text[c.span_start : c.span_end] == c.quote
    assert claims[0].attributed_to == "Ministry of Unification"
    actions = [a.action for a in store.audit() if a.source_id == o.source_id]
    assert actions == ["add-source", "suggest", "suggest"]


def test_ingest_with_the_real_extractor_keeps_spans_consistent(
    store: EvidenceStore, tmp_path: Path
) -> None:
    doc = _write(
        tmp_path,
        "real.txt",
        "In 2023, 196 North Korean defectors arrived in South Korea, according to "
        "the Ministry of Unification. About 84% were women.\n",
    )
    (o,) = ingest_paths(store, [doc], IngestOptions(date=dt.date(2024, 1, 19))).outcomes
    assert o.status == "stored"
    stored_text = store.document_text(o.source_id or "")
    assert stored_text is not None
    for c in store.claims(source=o.source_id):
        assert c.review_state == "suggested"
        assert c.span_start is not None and c.span_end is not None
        assert stored_text[c.span_start : c.span_end] == c.quote


def test_reingesting_is_a_noop(
    store: EvidenceStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_mod, "extract_claims", fake_extract)
    a = _write(tmp_path, "a.txt", "In 2009, 2,914 North Koreans arrived, the MOU said.\n")
    b = _write(tmp_path, "copy/b.txt", a.read_text())  # same content, other name
    first = ingest_paths(store, [a])
    n_claims, n_audit = len(store.claims()), len(store.audit())
    again = ingest_paths(store, [a, b])
    assert [o.status for o in again.outcomes] == ["duplicate", "duplicate"]
    assert all(o.source_id == first.outcomes[0].source_id for o in again.outcomes)
    assert "already stored" in (again.outcomes[0].reason or "")
    assert (len(store.claims()), len(store.audit())) == (n_claims, n_audit)
    # the same content twice in one batch is stored once
    c = _write(tmp_path, "c.txt", "new content\n")
    d = _write(tmp_path, "d.txt", "new content\n")
    both = ingest_paths(store, [c, d])
    assert [o.status for o in both.outcomes] == ["stored", "duplicate"]


def test_bad_files_are_reported_and_the_rest_stored(
    store: EvidenceStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_mod, "extract_claims", fake_extract)
    folder = tmp_path / "batch"
    _write(folder, "1-good.txt", "In 2009, 2,914 North Koreans arrived, the MOU said.\n")
    _write(folder, "2-binary.txt", b"abc\x00def")
    _write(folder, "3-latin1.txt", "caf\xe9".encode("latin-1"))
    _write(folder, "4-empty.html", "<html><head></head><body>   </body></html>")
    _write(folder, "5-empty.md", "  \n")
    _write(
        folder, "sub/6-good.html", "<html><body><p>Another page about arrivals.</p></body></html>"
    )
    _write(folder, "ignored.pdf", b"%PDF-1.4")
    big = folder / "7-big.txt"
    big.write_bytes(b"a" * (ingest_mod.MAX_BYTES + 1))
    report = ingest_paths(store, [folder])
    by_name = {o.path.name: o for o in report.outcomes}
    assert list(by_name) == [
        "1-good.txt",
        "2-binary.txt",
        "3-latin1.txt",
        "4-empty.html",
        "5-empty.md",
        "7-big.txt",
        "6-good.html",
    ]
    assert by_name["1-good.txt"].status == "stored"
    assert by_name["6-good.html"].status == "stored"
    assert "NUL" in (by_name["2-binary.txt"].reason or "")
    assert "UTF-8" in (by_name["3-latin1.txt"].reason or "")
    assert "no text" in (by_name["4-empty.html"].reason or "")
    assert "empty" in (by_name["5-empty.md"].reason or "")
    assert "MB limit" in (by_name["7-big.txt"].reason or "")
    assert report.count("stored") == 2 and report.count("error") == 5
    assert len(_ingested(store)) == 2
    # no title and no date: the file name, an empty date and a warning
    html = store.source(by_name["6-good.html"].source_id or "")
    assert html is not None and html.published is None
    if html.title == "6-good.html":
        assert any("file name" in w for w in by_name["6-good.html"].warnings)
    assert any("date" in w for w in by_name["6-good.html"].warnings)
    with pytest.raises(IngestError, match="no such file"):
        ingest_paths(store, [tmp_path / "missing.txt"])
    (unsupported,) = ingest_paths(store, [folder / "ignored.pdf"]).outcomes
    assert unsupported.status == "error" and "unsupported" in (unsupported.reason or "")


def test_an_error_halfway_through_a_batch_stores_nothing(
    store: EvidenceStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_mod, "extract_claims", fake_extract)
    files = [
        _write(tmp_path, f"{i}.txt", f"In 200{i}, 1,00{i} North Koreans arrived, the MOU said.\n")
        for i in range(1, 4)
    ]
    real = ingest_mod.store_document
    calls = []

    def failing(*args: object, **kwargs: object) -> tuple[str, int]:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest_mod, "store_document", failing)
    n_audit = len(store.audit())
    with pytest.raises(BatchWriteError, match=r"disk on fire.*nothing of it was stored") as info:
        ingest_paths(store, files)
    assert isinstance(info.value.__cause__, RuntimeError)
    assert len(calls) == 2  # the first document was written before the failure
    assert _ingested(store) == []
    with store.transaction() as session:
        assert session.scalar(select(func.count(Document.id))) == 0
        assert (
            session.scalar(select(func.count(Claim.id)).where(Claim.review_state == "suggested"))
            == 0
        )
        assert session.scalar(select(func.count(Source.id)).where(Source.origin == "ingested")) == 0
    assert len(store.audit()) == n_audit
    monkeypatch.setattr(ingest_mod, "store_document", real)
    assert ingest_paths(store, files).count("stored") == 3


def test_metadata_from_the_document_wins_over_options(
    store: EvidenceStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_html(html: str) -> text_mod.DocumentText:
        return text_mod.DocumentText(
            text="Body text about 2009.",
            title="Page title",
            author="A. Writer",
            publisher="Paper",
            date=dt.date(2010, 1, 6),
            language="en",
        )

    monkeypatch.setattr(text_mod, "html_to_text", fake_html)
    page = _write(tmp_path, "page.html", "<html><title>x</title><p>y</p></html>")
    (o,) = ingest_paths(
        store, [page], IngestOptions(title="Option title", date=dt.date(2000, 1, 1))
    ).outcomes
    src = store.source(o.source_id or "")
    assert src is not None
    assert (src.title, src.author, src.publisher, src.published, src.language) == (
        "Page title",
        "A. Writer",
        "Paper",
        dt.date(2010, 1, 6),
        "en",
    )
    assert o.warnings == ()
    assert store.document_text(src.id) == "Body text about 2009."


# ----------------------------------------------------------------- confidential sources
def test_confidential_claims_are_usable_but_redacted(
    store: EvidenceStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_mod, "extract_claims", fake_extract)
    doc = _write(tmp_path, "secret-notes.txt", SECRET_TEXT)
    (o,) = ingest_paths(
        store,
        [doc],
        IngestOptions(
            title="Top Secret Title",
            publisher="Hidden Publisher",
            author="Jane Hidden",
            url="https://secret.example/x",
            confidential=True,
            reliability="C",
        ),
    ).outcomes
    sid = o.source_id or ""
    (claim,) = store.claims(source=sid)
    assert claim.value == 3100 and claim.source_confidential  # usable in queries
    assert store.link_parameter(claim.id, "north-korea", "observations[0]")
    assert any(
        lc.claim.id == claim.id for lc in store.parameter_links("north-korea")["observations[0]"]
    )
    # conflicts use it too
    c2009 = next(
        c
        for c in find_conflicts(store.claims())
        if (c.key.subject, c.key.sex, c.key.period) == ("arrived", "total", "2009")
    )
    assert any(sid in s.sources for s in c2009.sides)
    hidden = str(redact(claim)) + str(redact(store.source(sid)))  # type: ignore[arg-type]
    for marker in SECRET_MARKERS:
        assert marker not in hidden, marker
    assert f"[confidential source {sid}]" in hidden and REDACTED in hidden
    shown = str(redact(claim, show_confidential=True)) + str(
        redact(store.source(sid), show_confidential=True)
    )  # type: ignore[arg-type]
    assert "Top Secret Title" in shown and "Hidden Ministry Official" in shown
    entries = [a for a in store.audit() if a.source_id == sid]
    audit_text = str([redact(a, confidential_sources=frozenset({sid})) for a in entries])
    for marker in SECRET_MARKERS:
        assert marker not in audit_text, marker


def test_ingest_the_labelled_articles_with_the_real_extractor(store: EvidenceStore) -> None:
    folder = Path(__file__).parent / "evidence_articles" / "dev"
    if not any(folder.glob("*.htm*")) and not any(folder.glob("*.txt")):
        pytest.skip("no labelled articles in tests/evidence_articles/dev")
    report = ingest_paths(store, [folder], places=["South Korea", "China", "Tumen"])
    assert report.count("error") == 0, [o.reason for o in report.outcomes]
    assert report.count("stored") == len(report.outcomes) > 0
    assert all(o.path.suffix in (".txt", ".md", ".html", ".htm") for o in report.outcomes)
    n_claims = 0
    for o in report.outcomes:
        stored_text = store.document_text(o.source_id or "")
        assert stored_text
        for c in store.claims(source=o.source_id):
            n_claims += 1
            assert c.review_state == "suggested" and c.span_start is not None
            assert stored_text[c.span_start : c.span_end] == c.quote
    assert n_claims > 0
    again = ingest_paths(store, [folder], places=["China"])
    assert again.count("duplicate") == len(again.outcomes)


# ----------------------------------------------------------------- concurrent writers
def _articles(folder: Path, n: int) -> list[Path]:
    """``n`` small documents, each with one arrivals figure the real extractor finds."""
    return [
        _write(
            folder,
            f"doc{i:02d}.txt",
            f"Report {i}\n\nIn {1990 + i}, {1000 + i:,} North Koreans arrived in South Korea, "
            f"the Ministry of Unification said.\n",
        )
        for i in range(1, n + 1)
    ]


def _stored_once(db: str, names: list[str]) -> None:
    """Every document is stored exactly once, with its document, claims and audit entry."""
    with open_store(db) as s, s.transaction() as session:
        rows = session.execute(
            select(Source.raw_sha256, func.count(Source.id))
            .where(Source.origin == "ingested")
            .group_by(Source.raw_sha256)
        ).all()
        assert len(rows) == len(names) and all(n == 1 for _, n in rows)
        assert session.scalar(select(func.count(Document.id))) == len(names)
        assert session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "add-source")
        ) == len(names)
        files = set(session.scalars(select(Document.file_name)))
    assert files == set(names)


def test_two_processes_adding_overlapping_batches_store_each_source_once(
    builtin_db: str, tmp_path: Path
) -> None:
    files = _articles(tmp_path / "docs", 14)
    batches = [[str(f) for f in files[:10]], [str(f) for f in files[4:]]]  # 6 in both
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    workers = [
        ctx.Process(target=concurrent_add, args=(builtin_db, b, barrier, results, 0.05))
        for b in batches
    ]
    for w in workers:
        w.start()
    got = [results.get(timeout=300) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    assert [status for status, _ in got] == ["ok", "ok"], got
    outcomes = [o for _, batch in got for o in batch]
    stored = [name for name, status, _ in outcomes if status == "stored"]
    assert sorted(stored) == sorted(f.name for f in files)  # each stored by exactly one
    ids = {name: sid for name, status, sid in outcomes if status == "stored"}
    for name, status, sid in outcomes:
        assert status in ("stored", "duplicate") and sid == ids[name]
    _stored_once(builtin_db, [f.name for f in files])


def test_two_evidence_add_commands_at_once_on_a_new_database(empty_db: str, tmp_path: Path) -> None:
    files = _articles(tmp_path / "docs", 12)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for f in files[:8]:
        shutil.copy(f, tmp_path / "a" / f.name)
    for f in files[4:]:
        shutil.copy(f, tmp_path / "b" / f.name)
    env = {**os.environ, "CROSSINGS_DATA_DIR": str(tmp_path / "data")}
    procs = [
        subprocess.Popen(
            [
                *(sys.executable, "-m", "crossings", "evidence", "add", str(tmp_path / d)),
                *("--db", empty_db, "--date", "2024-01-01", "--json"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for d in ("a", "b")
    ]
    done = [p.communicate(timeout=600) for p in procs]
    for p, (_stdout, stderr) in zip(procs, done, strict=True):
        assert p.returncode == 0, stderr
        assert "locked" not in stderr and "Traceback" not in stderr
    statuses: dict[str, list[str]] = {}
    for stdout, _ in done:
        for f in json.loads(stdout)["files"]:
            statuses.setdefault(Path(f["path"]).name, []).append(f["status"])
    assert all(s.count("stored") == 1 for s in statuses.values()), statuses
    assert len(statuses) == 12
    _stored_once(empty_db, [f.name for f in files])
    with open_store(empty_db) as s:  # the built-in evidence was loaded once
        assert len([a for a in s.audit() if a.action == "load-builtin"]) == 1


def test_a_locked_database_is_tried_again(builtin_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db_mod, "FIRST_PAUSE", 0.001)
    with open_store(builtin_db) as s:
        calls: list[int] = []

        def flaky(session: object) -> str:
            calls.append(1)
            if len(calls) < 3:
                raise OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked"))
            return "done"

        assert s.write(flaky) == "done" and len(calls) == 3

        def broken(session: object) -> str:
            raise OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x"))

        with pytest.raises(OperationalError):
            s.write(broken)  # a lasting error is not tried again


# ----------------------------------------------------------------- errors say no values
def test_database_errors_never_show_the_values(builtin_db: str) -> None:
    secret = "Top Secret Title"
    with open_store(builtin_db) as s:
        with pytest.raises(IntegrityError) as info, s.transaction() as session:
            session.add(Source(id="S1", title=secret, reliability="F", origin="ingested"))
        exc = info.value
        assert secret not in str(exc)  # the engine hides statement parameters
        assert "S1" not in describe_error(exc) and secret not in describe_error(exc)
        with pytest.raises(IntegrityError) as info2, s.transaction() as session:
            for sid in ("Dx1", "Dx2"):  # the same content hash twice
                session.add(Source(id=sid, raw_sha256="f" * 64, reliability="F", origin="ingested"))
        # PostgreSQL's DETAIL line names the duplicate key's value; describe_error drops it
        assert "f" * 64 not in describe_error(info2.value)
        assert describe_error(info2.value).startswith(("IntegrityError", "UniqueViolation"))


# ----------------------------------------------------------------- layering
def _evidence_imports() -> dict[str, set[str]]:
    """crossings.evidence module → the crossings.evidence modules it imports (anywhere in it)."""
    root = Path(crossings.__file__).parent
    graph: dict[str, set[str]] = {}
    for path in (root / "evidence").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        rel = path.relative_to(root.parent).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                mods = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            else:
                continue
            deps.update(m for m in mods if m.startswith("crossings.evidence") and m != name)
        graph[name] = deps
    return {k: {d for d in v if d in graph} for k, v in graph.items()}


def test_the_evidence_modules_import_each_other_without_cycles() -> None:
    graph = _evidence_imports()
    assert "crossings.evidence.builtin" not in graph["crossings.evidence.db"]
    assert "crossings.evidence.store" not in graph["crossings.evidence.builtin"]
    for module in graph["crossings.evidence.extract"] | {"crossings.evidence.extract"}:
        if module.startswith("crossings.evidence.extract"):
            # the extractor knows nothing of the store or of the built-in evidence
            assert not {
                d
                for d in graph[module]
                if not d.startswith(("crossings.evidence.extract", "crossings.evidence.types"))
            }, module
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                raise AssertionError(" -> ".join([*trail, node, dep]))
            if dep not in state:
                visit(dep, [*trail, node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
