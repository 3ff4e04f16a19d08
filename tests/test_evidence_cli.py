"""``crossings evidence …`` and ``crossings sources --claims`` as a user runs them."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from crossings.cli import app
from crossings.evidence import builtin
from crossings.evidence import cli as evidence_cli
from crossings.evidence import ingest as ingest_mod
from crossings.evidence.builtin import named_periods
from crossings.evidence.extract import bench, extract_claims
from crossings.evidence.ingest import IngestOptions, ingest_paths
from crossings.evidence.redact import clean_text, safe_json
from crossings.evidence.store import open_store
from evidence_helpers import SECRET_MARKERS, SECRET_TEXT, fake_extract

runner = CliRunner()


@pytest.fixture(scope="session")
def prepared_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Built-in evidence plus one confidential document; returns (file, its source id)."""
    folder = tmp_path_factory.mktemp("evcli")
    db = folder / "evidence.sqlite"
    doc = folder / "secret-notes.txt"
    doc.write_text(SECRET_TEXT, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ingest_mod, "extract_claims", fake_extract)
        with open_store(db) as store:
            (o,) = ingest_paths(
                store,
                [doc],
                IngestOptions(
                    title="Top Secret Title",
                    publisher="Hidden Publisher",
                    author="Jane Hidden",
                    url="https://secret.example/x",
                    confidential=True,
                ),
            ).outcomes
            assert o.source_id is not None
            (claim,) = store.claims(source=o.source_id)
            store.link_parameter(claim.id, "north-korea", "delegations[1].size")
    return db, o.source_id


@pytest.fixture
def db(
    prepared_db: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    monkeypatch.setenv("CROSSINGS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(ingest_mod, "extract_claims", fake_extract)
    path = tmp_path / "ev.sqlite"
    shutil.copy(prepared_db[0], path)
    yield str(path)


@pytest.fixture
def secret_id(prepared_db: tuple[Path, str]) -> str:
    return prepared_db[1]


def run(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def _all(result: Any) -> str:
    return str(result.stdout) + str(result.stderr)


# ----------------------------------------------------------------- init / add
def test_init_is_idempotent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSINGS_DATA_DIR", str(tmp_path))
    r1 = run("evidence", "init")
    assert r1.exit_code == 0, _all(r1)
    assert "built-in evidence loaded" in r1.stdout and "94 sources" in r1.stdout
    assert (tmp_path / "evidence.sqlite").is_file()
    r2 = run("evidence", "init")
    assert r2.exit_code == 0 and "already up to date" in r2.stdout
    first = [w for w in r1.stdout.split(",") if "claims" in w]
    assert first == [w for w in r2.stdout.split(",") if "claims" in w]


def test_add_reports_stored_duplicates_and_bad_files(db: str, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("In 2010, 2,402 North Koreans arrived, the MOU said.\n")
    (docs / "b.md").write_text("# Notes\n\nNothing numeric here.\n")
    (docs / "c.txt").write_bytes(b"\x00\x01binary")
    r = run("evidence", "add", str(docs), "--db", db, "--date", "2011-01-01")
    assert r.exit_code == 1, _all(r)  # one file was bad
    assert "stored" in r.stdout and "a.txt" in r.stdout and "1 suggested claim" in r.stdout
    assert "c.txt" in r.stderr and "NUL" in r.stderr
    assert "2 stored, 0 already stored, 1 skipped" in r.stdout
    again = run("evidence", "add", str(docs / "a.txt"), "--db", db)
    assert again.exit_code == 0 and "already stored" in again.stdout
    js = run("evidence", "add", str(docs / "a.txt"), "--db", db, "--json")
    assert json.loads(js.stdout)["files"][0]["status"] == "duplicate"


def test_add_user_mistakes_exit_2(db: str, tmp_path: Path) -> None:
    r = run("evidence", "add", str(tmp_path / "missing.txt"), "--db", db)
    assert r.exit_code == 2 and "no such file or folder" in r.stderr
    f = tmp_path / "x.txt"
    f.write_text("text\n")
    r = run("evidence", "add", str(f), "--db", db, "--date", "yesterday")
    assert r.exit_code == 2 and "--date must be YYYY-MM-DD" in r.stderr
    r = run("evidence", "add", str(f), "--db", db, "--reliability", "Z")
    assert r.exit_code == 2 and "reliability must be one of" in r.stderr
    r = run("evidence", "add", str(f), "--db", "mysql://u@h/db")
    assert r.exit_code == 2 and "unsupported database URL" in r.stderr


# ----------------------------------------------------------------- queries
def test_claims_show_and_sources(db: str) -> None:
    r = run("evidence", "claims", "--db", db, "--source", "S88", "--json")
    assert r.exit_code == 0, _all(r)
    claims = json.loads(r.stdout)["claims"]
    assert {c["value"] for c in claims if c["subject"] == "athletes"} >= {51, 56}
    r = run("evidence", "claims", "--db", db, "--subject", "athletes")
    assert r.exit_code == 0 and "S88" in r.stdout and "HF" in r.stdout
    cid = str(claims[0]["id"])
    r = run("evidence", "show", cid, "--db", db, "--json")
    data = json.loads(r.stdout)
    assert data["id"] == int(cid) and data["source"]["id"] == "S88"
    assert any(p["path"].startswith("delegations[0]") for p in data["parameters"])
    r = run("evidence", "show", cid, "--db", db)
    assert r.exit_code == 0 and f"claim {cid}" in r.stdout and "supports:" in r.stdout
    r = run("evidence", "sources", "--db", db, "--json")
    ids = [s["id"] for s in json.loads(r.stdout)["sources"]]
    assert ids[:3] == ["S1", "S2", "S3"] and "NK600" in ids
    r = run("evidence", "claims", "--db", db, "--source", "NOPE")
    assert r.exit_code == 2 and "no source 'NOPE'" in r.stderr


def test_unknown_claim_is_a_clear_error(db: str) -> None:
    r = run("evidence", "show", "999999", "--db", db)
    assert r.exit_code == 2 and "no claim with id or key '999999'" in r.stderr
    r = run("evidence", "review", "--accept", "999999", "--db", db)
    assert r.exit_code == 2 and "no claim" in r.stderr


def test_scripted_review_and_audit(db: str) -> None:
    ids = [
        c["id"]
        for c in json.loads(
            run("evidence", "claims", "--db", db, "--source", "S24", "--json").stdout
        )["claims"]
    ]
    a, b, c = (str(i) for i in ids[:3])
    r = run(
        "evidence",
        "review",
        "--db",
        db,
        "--accept",
        a,
        "--reject",
        b,
        "--edit",
        c,
        "value=3000",
        "qualifier=about",
    )
    assert r.exit_code == 0, _all(r)
    assert f"claim {a}: accepted (no change)" in r.stdout  # built-ins start accepted
    assert f"claim {b}: rejected" in r.stdout and f"claim {c}: edited" in r.stdout
    shown = json.loads(run("evidence", "show", c, "--db", db, "--json").stdout)
    assert shown["value"] == 3000 and shown["qualifier"] == "about"
    assert shown["review_state"] == "edited"
    assert [h["action"] for h in shown["history"]] == ["edit"]
    log = json.loads(run("evidence", "audit", "--db", db, "--json").stdout)["entries"]
    assert [e["action"] for e in log[-2:]] == ["reject", "edit"]
    assert log[-1]["before"]["value"] != 3000 and log[-1]["after"]["value"] == 3000
    # mistakes: exit 2, nothing changed
    for args, msg in (
        (("--edit", c), "needs at least one FIELD=VALUE"),
        (("value=1",), "need --edit"),
        (("--edit", c, "colour=red"), "cannot edit 'colour'"),
        (("--edit", c, "value"), "expected FIELD=VALUE"),
    ):
        r = run("evidence", "review", "--db", db, *args)
        assert r.exit_code == 2 and msg in r.stderr, (args, _all(r))
    r = run("evidence", "review", "--db", db)  # interactive, but stdin is not a terminal
    assert r.exit_code == 2 and "needs a terminal" in r.stderr
    assert len(json.loads(run("evidence", "audit", "--db", db, "--json").stdout)["entries"]) == len(
        log
    )


def test_conflicts_json_has_the_real_ones(db: str) -> None:
    r = run("evidence", "conflicts", "--db", db, "--json", "--all")
    assert r.exit_code == 0, _all(r)
    doc = json.loads(r.stdout)
    assert doc["tolerance_about"] == 0.05 and doc["all"]
    by = {
        (
            c["quantity"]["subject"],
            c["quantity"]["sex"],
            c["quantity"]["period"],
            c["quantity"]["place"],
        ): c
        for c in doc["conflicts"]
    }
    c2009 = by[("arrived", "total", "2009", None)]
    rd = {s["value"]: s["relative_difference"] for s in c2009["sides"]}
    assert rd[2914] == 0 and rd[2927] == pytest.approx(13 / 2914)
    assert rd[2952] == pytest.approx(38 / 2914)
    london = by[("athletes", "total", "2012", "london")]
    assert {tuple(s["sources"]): s["relative_difference"] for s in london["sides"]} == {
        ("S88",): 0,
        ("S88", "HF"): pytest.approx(5 / 51),
    }
    text = run("evidence", "conflicts", "--db", db, "--subject", "athletes").stdout
    assert "athletes" in text and "+9.8%" in text and "HF (C, 0.3)" in text
    # by default only the conflicts that matter: no revision of a few people
    default = json.loads(run("evidence", "conflicts", "--db", db, "--json").stdout)
    quantities = {
        (c["quantity"]["subject"], c["quantity"]["sex"], c["quantity"]["period"])
        for c in default["conflicts"]
    }
    assert ("arrived", "total", "2002") not in quantities  # revisions: 1,138–1,143
    assert ("arrived", "male", "..2025-12-31") not in quantities  # 9,593 vs 9,594
    # 2009 is listed for the confidential 3,100 (+6.4%), not for the revisions of 2,914
    c2009 = next(c for c in default["conflicts"] if c["quantity"]["period"] == "2009")
    assert {s["value"] for s in c2009["sides"] if s["gap"] > 0.05} == {3100}
    assert ("athletes", "total", "2012") in quantities
    assert all(c["material"] for c in default["conflicts"])
    assert default["found"] > len(default["conflicts"])
    text = run("evidence", "conflicts", "--db", db).stdout
    assert "left out; --all shows them" in text and "9,594" not in text


def test_bench_prints_precision_and_recall(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[object] = []

    def fake_run(path: object = None, *, named_periods: object = ()) -> dict[str, object]:
        asked.append(named_periods)
        return {
            "precision": 0.91,
            "recall": 0.83,
            "f1": 0.868,
            "documents": 12,
            "by_field": {"value": {"precision": 0.95}},
        }

    monkeypatch.setattr(bench, "run_benchmark", fake_run)
    r = run("evidence", "bench")
    assert r.exit_code == 0, _all(r)
    assert asked == [named_periods()]  # the labelled set is read with the built-in events
    assert "precision" in r.stdout and "0.910" in r.stdout and "0.830" in r.stdout
    assert "by_field.value.precision" in r.stdout
    r = run("evidence", "bench", "--path", "/no/such/folder")
    assert r.exit_code == 2 and "no such folder" in r.stderr


# ----------------------------------------------------------------- parameters
def test_param_shows_claims_or_assumption(db: str) -> None:
    r = run("evidence", "param", "delegations[0].size", "--db", db, "--json")
    assert r.exit_code == 0, _all(r)
    (row,) = json.loads(r.stdout)["parameters"]
    values = {c["value"] for c in row["claims"]}
    assert {51, 56} <= values
    assert all("confidence_label" in c and "link" in c for c in row["claims"])
    r = run("evidence", "param", "inflows[1].sex", "--db", db)
    assert r.exit_code == 0 and "assumption:" in r.stdout
    r = run("evidence", "param", "no.such[3].path", "--db", db)
    assert r.exit_code == 2 and "not a sourced parameter" in r.stderr


def test_sources_claims_covers_every_parameter(db: str) -> None:
    r = run("sources", "--claims", "--db", db, "--json")
    assert r.exit_code == 0, _all(r)
    doc = json.loads(r.stdout)
    assert doc["scenario"] == "north-korea" and doc["without_evidence"] == []
    assert doc["parameters"] == len(doc["rows"]) > 100
    for row in doc["rows"]:
        assert row["claims"] or row["assumption"], row["path"]
        for c in row["claims"]:
            assert c["confidence_label"] in ("high", "medium", "low")
    text = run("sources", "--claims", "--db", db)
    assert text.exit_code == 0 and "with neither" in text.stdout
    assert "0 with neither" in text.stdout


def test_sources_claims_on_the_example_scenario(db: str) -> None:
    r = run("sources", "example", "--claims", "--db", db, "--json")
    assert r.exit_code == 0, _all(r)
    doc = json.loads(r.stdout)
    assert doc["scenario"] == "example" and doc["without_evidence"] == []


# ----------------------------------------------------------------- confidential
REDACTED_COMMANDS = [
    ("evidence", "claims"),
    ("evidence", "claims", "--json"),
    ("evidence", "sources"),
    ("evidence", "sources", "--json"),
    ("evidence", "conflicts"),
    ("evidence", "conflicts", "--json"),
    ("evidence", "param", "delegations[1].size"),
    ("evidence", "param", "delegations[1].size", "--json"),
    ("evidence", "audit"),
    ("evidence", "audit", "--json"),
    ("sources", "--claims"),
    ("sources", "--claims", "--json"),
]


@pytest.mark.parametrize("args", REDACTED_COMMANDS, ids=" ".join)
def test_confidential_source_is_redacted_everywhere(
    db: str, secret_id: str, args: tuple[str, ...]
) -> None:
    r = run(*args, "--db", db)
    assert r.exit_code == 0, _all(r)
    output = _all(r)
    for marker in SECRET_MARKERS:
        assert marker not in output, (marker, args)
    assert secret_id in output  # its claims are there, only its identity is hidden
    if "audit" not in args:
        assert f"[confidential source {secret_id}]" in output
    if args[-1] == "--json":
        json.loads(r.stdout)  # one JSON document


def test_confidential_claim_show_is_redacted_unless_asked(db: str, secret_id: str) -> None:
    (claim,) = json.loads(
        run("evidence", "claims", "--db", db, "--source", secret_id, "--json").stdout
    )["claims"]
    assert claim["value"] == 3100  # the value stays usable
    assert claim["source_label"] == f"[confidential source {secret_id}]"
    assert claim["quote"] == "[redacted]" and claim["attributed_to"] == "[redacted]"
    for extra in ((), ("--json",)):
        r = run("evidence", "show", str(claim["id"]), "--db", db, *extra)
        assert r.exit_code == 0
        for marker in SECRET_MARKERS:
            assert marker not in _all(r), (marker, extra)
        assert f"[confidential source {secret_id}]" in r.stdout
        shown = run("evidence", "show", str(claim["id"]), "--db", db, "--show-confidential", *extra)
        assert "Top Secret Title" in shown.stdout and "Hidden Ministry Official" in shown.stdout
    full = run("evidence", "sources", "--db", db, "--json", "--show-confidential").stdout
    assert "https://secret.example/x" in full and "Jane Hidden" in full


# ----------------------------------------------------------------- as a subprocess
def test_cli_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "CROSSINGS_DATA_DIR": str(tmp_path)}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "crossings", "evidence", *args],
            capture_output=True,
            text=True,
            check=False,
            env=env,
            timeout=600,
        )

    for args, msg in (
        (("add", str(tmp_path / "nope.txt")), "no such file or folder"),
        (("claims", "--db", "oracle://x/y"), "unsupported database URL"),
        (("show", "nope-claim"), "no claim with id or key"),
    ):
        p = cli(*args)
        assert p.returncode == 2, (args, p.stdout, p.stderr)
        assert msg in p.stderr and "Traceback" not in p.stderr + p.stdout


def test_interactive_review(db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    doc = tmp_path / "three.txt"
    doc.write_text(
        "In 2009, 2,914 North Koreans arrived, the MOU said. In 2010, 2,402 "
        "North Koreans arrived. In 2011, 2,706 North Koreans arrived.\n"
    )
    assert run("evidence", "add", str(doc), "--db", db, "--date", "2012-01-01").exit_code == 0
    sid = next(
        s["id"]
        for s in json.loads(run("evidence", "sources", "--db", db, "--json").stdout)["sources"]
        if s["origin"] == "ingested" and not s["confidential"]
    )
    monkeypatch.setattr(evidence_cli, "_stdin_is_tty", lambda: True)
    # accept the first, edit the second (one field, then done), quit before the third
    result = runner.invoke(
        app,
        ["evidence", "review", "--source", sid, "--db", db],
        input="a\ny\ne\nvalue=2400\n\nq\n",
    )
    assert result.exit_code == 0, _all(result)
    assert "2 claim(s) reviewed" in result.stdout
    assert "[a]ccept, [r]eject, [e]dit, [s]kip, [q]uit" in result.stdout
    states = [
        (c["review_state"], c["value"])
        for c in json.loads(
            run("evidence", "claims", "--db", db, "--source", sid, "--json").stdout
        )["claims"]
    ]
    assert states == [("accepted", 2914), ("edited", 2400), ("suggested", 2706)]
    entries = json.loads(run("evidence", "audit", "--db", db, "--json").stdout)["entries"]
    assert [e["action"] for e in entries[-3:]] == ["accept", "link", "edit"]
    # accepting proposed the row it is about, and linking it was confirmed
    assert "series 'arrivals' row 2009 (total), already observed: 2,914" in result.stdout
    assert entries[-2]["after"]["observations"] == [{"observation": "arrivals", "row": "2009"}]
    assert entries[-2]["after"]["how"] == "confirmed"


# ----------------------------------------------------------------- add: nothing names a secret
SECRET_OPTIONS = (
    "--confidential",
    "--title",
    "Top Secret Title",
    "--publisher",
    "Hidden Publisher",
    "--author",
    "Jane Hidden",
    "--url",
    "https://secret.example/x",
)
SECRET_FILES = ("informant-kim", "copy-of-secret", "leak.pdf", "README", "notes-2")


def _secret_batch(tmp_path: Path) -> list[str]:
    folder = tmp_path / "batch"
    folder.mkdir()
    body = SECRET_TEXT + "\nA second confidential page.\n"
    (folder / "notes-2.txt").write_text(body, encoding="utf-8")
    (folder / "copy-of-secret.txt").write_text(body, encoding="utf-8")  # same content
    (folder / "informant-kim.txt").write_bytes(b"abc\x00def")  # a bad file
    (tmp_path / "leak.pdf").write_bytes(b"%PDF")  # unsupported
    (tmp_path / "README").write_text("no suffix\n")
    return [str(folder), str(tmp_path / "leak.pdf"), str(tmp_path / "README")]


def _no_secret(text: str, tmp_path: Path) -> None:
    for marker in (*SECRET_MARKERS, *SECRET_FILES, str(tmp_path)):
        assert marker not in text, marker


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_adding_a_confidential_batch_names_no_file(
    db: str, tmp_path: Path, as_json: bool, caplog: pytest.LogCaptureFixture
) -> None:
    args = _secret_batch(tmp_path)
    extra = ("--json",) if as_json else ()
    r = run("evidence", "add", *args, *SECRET_OPTIONS, "--db", db, *extra)
    assert r.exit_code == 1, _all(r)  # the bad and the unsupported files
    _no_secret(_all(r) + caplog.text, tmp_path)
    assert "[confidential file #" in _all(r)
    if as_json:
        rows = json.loads(r.stdout)["files"]
        assert [f["status"] for f in rows] == ["stored", "error", "duplicate", "error", "error"]
        assert rows[2]["reason"] == "same content as [confidential file #1] in this batch"
        assert all(f["path"] == f"[confidential file #{i}]" for i, f in enumerate(rows, 1))
    # asked for, the names are shown
    shown = run("evidence", "add", *args, *SECRET_OPTIONS, "--db", db, "--show-confidential")
    assert "informant-kim.txt" in _all(shown) and "leak.pdf" in _all(shown)


def test_a_missing_path_of_a_confidential_batch_is_named_by_its_position(
    db: str, tmp_path: Path
) -> None:
    doc = tmp_path / "notes.txt"
    doc.write_text("text\n")
    r = run("evidence", "add", str(doc), str(tmp_path / "informant-kim.txt"), "--confidential")
    assert r.exit_code == 2
    assert "no such file or folder: [confidential path argument #2]" in r.stderr
    _no_secret(_all(r), tmp_path)


def test_a_failed_write_of_a_confidential_batch_shows_no_values(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # what two concurrent batches used to print: the driver's error and the statement's values
    error = IntegrityError(
        "INSERT INTO sources (id, title, publisher, author, url) VALUES (?, ?, ?, ?, ?)",
        (
            "D0123456789",
            "Top Secret Title",
            "Hidden Publisher",
            "Jane Hidden",
            "https://secret.example/x",
        ),
        sqlite3.IntegrityError("UNIQUE constraint failed: sources.title 'Top Secret Title'"),
    )
    assert "Top Secret Title" in str(error) and "Jane Hidden" in str(error)

    def failing(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(ingest_mod, "store_document", failing)
    args = _secret_batch(tmp_path)
    for extra in ((), ("--json",)):
        r = run("evidence", "add", *args, *SECRET_OPTIONS, "--db", db, *extra)
        assert r.exit_code == 1, _all(r)
        assert "nothing of it was stored" in r.stderr and "IntegrityError" in r.stderr
        _no_secret(_all(r) + caplog.text, tmp_path)


def test_a_failed_extraction_of_a_confidential_file_logs_no_name(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def exploding(text: str, **kwargs: object) -> list[object]:
        raise ValueError(f"cannot parse {text[:30]!r} of Top Secret Title")

    monkeypatch.setattr(ingest_mod, "extract_claims", exploding)
    args = _secret_batch(tmp_path)
    with caplog.at_level("INFO"):
        r = run("evidence", "add", *args, *SECRET_OPTIONS, "--db", db, "--json")
    rows = json.loads(r.stdout)["files"]
    assert rows[0]["reason"] == "claim extraction failed (ValueError)"
    assert "claim extraction failed on [confidential file #1]" in caplog.text
    _no_secret(_all(r) + caplog.text, tmp_path)


def test_a_public_copy_of_a_confidential_source_does_not_name_it(
    db: str, secret_id: str, tmp_path: Path
) -> None:
    public = tmp_path / "public.txt"
    public.write_text(SECRET_TEXT, encoding="utf-8")  # the content of the confidential source
    r = run("evidence", "add", str(public), "--db", db, "--json")
    (row,) = json.loads(r.stdout)["files"]
    assert row["status"] == "duplicate" and row["source_id"] is None
    assert row["reason"] == "already stored, as a confidential source"
    assert secret_id not in _all(r)
    shown = run("evidence", "add", str(public), "--db", db, "--json", "--show-confidential")
    assert json.loads(shown.stdout)["files"][0]["source_id"] == secret_id


def test_the_date_prompt_of_a_confidential_file_names_no_file(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = tmp_path / "informant-kim.txt"
    doc.write_text("In 2011, 2,706 North Koreans arrived, the MOU said.\n")
    monkeypatch.setattr(evidence_cli, "_stdin_is_tty", lambda: True)
    r = runner.invoke(app, ["evidence", "add", str(doc), "--confidential", "--db", db], input="\n")
    assert r.exit_code == 0, _all(r)
    assert "Publication date of [confidential file #1]" in _all(r)
    _no_secret(_all(r), tmp_path)


# ----------------------------------------------------------------- terminal escapes
EVIL_TITLE = (
    "Evil \x1b]8;;http://evil.example\x07link\x1b]8;;\x07 \x1b[2Jwipe \x9b31mred "
    "\u202egnp.exe\r\x07bell"
)
EVIL_SENTENCE = (
    "In 2009, 2,950 North Koreans arrived in South Korea \x1b[2J\u202e, according to figures "
    "from the \x9b31m Ministry of Unification\x1b]8;;http://evil.example\x07 that were "
    "published in the capital after a long delay.\n"
)
UNSAFE = ("\x1b", "\x9b", "\u202e", "\x07", "\r")


def test_stored_text_is_printed_without_terminal_escapes(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_mod, "extract_claims", extract_claims)  # the real extractor
    doc = tmp_path / "evil.txt"
    doc.write_text(EVIL_SENTENCE, encoding="utf-8")
    r = run("evidence", "add", str(doc), "--title", EVIL_TITLE, "--date", "2010-01-05", "--db", db)
    assert r.exit_code == 0, _all(r)
    (src,) = [
        s
        for s in json.loads(run("evidence", "sources", "--db", db, "--json").stdout)["sources"]
        if s["title"] and s["title"].startswith("Evil")
    ]
    assert src["title"] == EVIL_TITLE  # stored and exported unchanged
    claims = json.loads(
        run("evidence", "claims", "--db", db, "--source", src["id"], "--json").stdout
    )
    claim = next(c for c in claims["claims"] if c["value"] == 2950)
    assert "\x1b[2J" in claim["quote"]
    for args in (
        ("evidence", "sources"),
        ("evidence", "sources", "--json"),
        ("evidence", "claims", "--source", src["id"]),
        ("evidence", "claims", "--source", src["id"], "--json"),
        ("evidence", "show", str(claim["id"])),
        ("evidence", "show", str(claim["id"]), "--json"),
        ("evidence", "conflicts", "--subject", "arrived", "--all"),
        ("evidence", "conflicts", "--subject", "arrived", "--all", "--json"),
        ("evidence", "audit"),
        ("evidence", "audit", "--json"),
    ):
        out = run(*args, "--db", db)
        assert out.exit_code == 0, (args, _all(out))
        for ch in UNSAFE:
            assert ch not in out.stdout + out.stderr, (args, repr(ch))
        if args[-1] == "--json":
            json.loads(out.stdout)  # still one valid document
    shown = run("evidence", "show", str(claim["id"]), "--db", db).stdout
    assert "Evil link wipe red gnp.exebell" in shown  # the words stay
    assert "Ministry of Unification" in shown
    assert (
        src["id"]
        in run("evidence", "conflicts", "--subject", "arrived", "--all", "--db", db).stdout
    )


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a\x1b]8;;http://evil\x07b\x1b]8;;\x07c", "abc"),  # OSC 8 hyperlink
        ("a\x1b]0;title\x1b\\b", "ab"),  # OSC ended by ST
        ("a\x1b[2Jb\x1b[31;1mc", "abc"),  # CSI
        ("a\x9b31mb", "ab"),  # 8-bit CSI
        ("a\x9d0;t\x9cb", "ab"),  # 8-bit OSC
        ("a\u202eb\u2066c\u200fd", "abcd"),  # bidirectional controls
        ("a\x00b\x08c\x7fd\x85e", "abcde"),  # C0, DEL, C1
        ("a\nb\tc\rd", "a b cd"),  # one line: newline and tab become spaces
        ("Korea: 1,047 – 한국", "Korea: 1,047 – 한국"),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean
    assert clean_text("a\nb\tc", multiline=True) == "a\nb\tc"
    dumped = safe_json({"t": raw})
    assert json.loads(dumped) == {"t": raw}  # lossless
    assert not any(ch in dumped for ch in ("\x1b", "\x9b", "\x9d", "\u202e", "\x85"))


# ----------------------------------------------------------------- the scenario option
def test_the_default_scenario_is_the_built_in_evidence_s(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = run("evidence", "param", "no.such", "--db", db)
    assert r.exit_code == 2 and "of 'north-korea'" in r.stderr
    r = run("evidence", "param", "no.such", "--scenario", "example", "--db", db)
    assert r.exit_code == 2 and "of 'example'" in r.stderr
    monkeypatch.setattr(builtin, "builtin_scenario", lambda: "example")
    r = run("evidence", "param", "no.such", "--db", db)
    assert r.exit_code == 2 and "of 'example'" in r.stderr
