"""Claims reaching the model: matching, overlays, priors, ranked conflicts, views, lists."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from crossings.cli import app
from crossings.evidence import cli as evidence_cli
from crossings.evidence import ingest as ingest_mod
from crossings.evidence.conflicts import (
    conflicts_that_matter,
    find_conflicts,
    rounding_unit,
)
from crossings.evidence.ingest import IngestOptions, ingest_paths
from crossings.evidence.matching import match_claim, row_for
from crossings.evidence.overlay import (
    CONFIDENTIAL_CITATION,
    OverlayError,
    about_interval,
    row_value,
    use_claims,
)
from crossings.evidence.records import ClaimRecord, parse_period
from crossings.evidence.store import EvidenceStore, open_store
from crossings.evidence.views import (
    as_dict,
    conflict_views,
    document_view,
    scenario_evidence,
    source_views,
)
from crossings.scenario.load import load_scenario
from crossings.scenario.schema import Scenario
from evidence_helpers import SECRET_MARKERS, SECRET_TEXT, fake_extract
from test_evidence_loop import BASE

runner = CliRunner()
_ids = iter(range(90_000, 99_999))


def claim(
    value: float,
    subject: str,
    period: str | None,
    qualifier: str = "exact",
    *,
    kind: str = "count",
    unit: str = "people",
    high: float | None = None,
    **kw: Any,
) -> ClaimRecord:
    p = parse_period(period)
    fields: dict[str, Any] = dict(
        id=next(_ids),
        key="k",
        source_id="D0000000001",
        kind=kind,
        value=value,
        value_high=high,
        qualifier=qualifier,
        unit=unit,
        subject=subject,
        sex=None,
        period_start=p.start if p else None,
        period_end=p.end if p else None,
        granularity=p.granularity if p else None,
        place=None,
        attributed_to=None,
        span_start=None,
        span_end=None,
        quote=None,
        statement=None,
        method="t",
        method_version="1",
        review_state="accepted",
        confidence=0.9,
        note=None,
        source_label="x",
        source_reliability="C",
        source_confidential=False,
        source_origin="ingested",
    )
    fields.update(kw)
    return ClaimRecord(**fields)


@pytest.fixture(scope="module")
def nk() -> Scenario:
    return load_scenario("north-korea").scenario


# ----------------------------------------------------------------- matching (North Korea)
def test_people_held_in_june_link_to_the_dated_stock_row(nk: Scenario) -> None:
    c = claim(
        2600,
        "detained",
        "2023-06",
        "at least",
        quote="At least 2,600 North Koreans were held in Chinese detention in June 2023",
    )
    best = match_claim(c, nk).best_observation
    assert best is not None and not best.new_series
    assert (best.series, best.row.label, best.sex) == ("detained_in_china", "2023-06-30", "total")
    assert best.existing is not None and best.existing.startswith("at least 2,000")


def test_arrivals_link_by_year_and_sex(nk: Scenario) -> None:
    best = match_claim(claim(210, "arrived", "2023"), nk).best_observation
    assert best is not None and (best.series, best.row.label) == ("arrivals", "2023")
    assert best.existing is not None and best.existing.startswith("196")
    women = match_claim(claim(164, "arrived", "2023", sex="female"), nk).best_observation
    assert women is not None and (women.series, women.sex) == ("arrivals", "female")
    # a place the subject implies is no place; one the series does not count excludes it
    seoul = match_claim(claim(210, "arrived", "2023", place="South Korea"), nk).best_observation
    assert seoul is not None and seoul.series == "arrivals"
    thai = match_claim(claim(40, "detained", "2019", place="Thailand"), nk)
    assert not any(t.series == "detained_in_china" for t in thai.observations)
    assert any("Thailand" in n for n in thai.notes)


@pytest.mark.parametrize(
    ("period", "why"),
    [
        ("..2024-12-31", "from an unknown start is no yearly flow"),  # a cumulative stock
        ("2023-Q1", "a part of a year"),
        (None, "no period"),
    ],
)
def test_a_flow_needs_whole_years(nk: Scenario, period: str | None, why: str) -> None:
    p = match_claim(claim(3000, "arrived", period), nk)
    assert p.best_observation is None
    assert any(why in n for n in p.notes), p.notes


def test_other_subjects(nk: Scenario) -> None:
    camps = match_claim(claim(120000, "imprisoned", "2020", "up to"), nk).best_observation
    assert camps is not None and camps.series == "kwanliso_population"
    hiding = match_claim(claim(30000, "hiding", "2002", "about", place="China"), nk)
    assert hiding.best_observation is not None
    assert hiding.best_observation.series == "hiding_in_china"
    wave = match_claim(claim(500, "repatriated", "2023-10-09", "over"), nk).best_observation
    assert wave is not None and wave.series == "wave_2023_10_09_size"
    # "arrested" is a flow: no series counts arrests, so a new one is proposed
    arrests = match_claim(
        claim(1500, "detained", "2017", quote="1,500 were arrested in 2017"), nk
    ).best_observation
    assert arrests is not None and arrests.new_series and arrests.measure.entries
    # a share of people arrested per year is about the arrest rate, its unknown first
    rate = match_claim(
        claim(0.1, "detained", "2023", kind="share", unit="percent", high=0.2), nk
    ).best_parameter
    assert rate is not None and rate.unknown is not None
    assert rate.path.startswith("transitions.") and rate.path.endswith(".rate")


def test_row_for() -> None:
    june = parse_period("2023-06")
    assert row_for(june, "stock")[0] is not None
    assert row_for(june, "stock")[0].label == "2023-06-30"  # type: ignore[union-attr]
    assert row_for(june, "flow")[0] is None
    assert row_for(parse_period("2009"), "stock")[0].label == "2009"  # type: ignore[union-attr]
    bucket = row_for(parse_period("1999..2001"), "flow")[0]
    assert bucket is not None and bucket.label == "1999-2001" and bucket.years == (1999, 2001)
    asof = row_for(parse_period("..2022-12-31"), "stock")[0]
    assert asof is not None and asof.label == "2022-12-31"


# ----------------------------------------------------------------- likelihood terms
def test_qualifiers_become_likelihood_terms() -> None:
    assert row_value(claim(210, "arrived", "2023"))[0] == 210
    assert row_value(claim(2600, "detained", "2023", "at least"))[0] == {"low": 2600}
    assert row_value(claim(500, "x", "2023", "over"))[0] == {"low": 500}
    assert row_value(claim(65000, "x", "2025", "up to"))[0] == {"high": 65000}
    assert row_value(claim(200, "x", "2023", high=300))[0] == {"low": 200, "high": 300}
    assert row_value(claim(3000, "x", "2023", "about"))[0] == {"low": 2500, "high": 3500}
    assert row_value(claim(2000, "x", "2023", "nearly"))[0] == {"low": 1500, "high": 2000}
    assert about_interval(2914) == pytest.approx((2914 * 0.95, 2914 * 1.05))
    assert (rounding_unit(3000), rounding_unit(2600), rounding_unit(2914)) == (1000, 100, 1)
    assert rounding_unit(12.5) == pytest.approx(0.1)


# ----------------------------------------------------------------- overlays
@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("use") / "builtin.sqlite"
    open_store(path).close()
    return path


@pytest.fixture
def store(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[EvidenceStore]:
    monkeypatch.setenv("CROSSINGS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(ingest_mod, "extract_claims", fake_extract)
    path = tmp_path / "ev.sqlite"
    shutil.copy(template, path)
    with open_store(path) as s:
        yield s


def _ingest(store: EvidenceStore, tmp_path: Path, text: str, **opts: Any) -> ClaimRecord:
    doc = tmp_path / f"doc{len(list(tmp_path.iterdir()))}.txt"
    doc.write_text(text, encoding="utf-8")
    (o,) = ingest_paths(store, [doc], IngestOptions(**opts)).outcomes
    assert o.source_id is not None
    (c,) = store.claims(source=o.source_id)
    return c


def test_an_observed_row_is_not_added_twice(store: EvidenceStore, tmp_path: Path) -> None:
    c = _ingest(store, tmp_path, "In 2023, 210 North Koreans arrived, the Ministry said.\n")
    store.review(c.id, "accept")
    out = tmp_path / "nk.yaml"
    res = use_claims(store, "north-korea", [c.id], out)
    (step,) = res.steps
    assert step.action == "skipped" and "already observed" in step.message
    assert "196" in step.message and "--replace" in step.message
    sc = load_scenario(out).scenario
    assert sc.name == "north-korea-evidence" and "observations:" not in res.text
    # replacing it is explicit
    res = use_claims(store, "north-korea", [c.id], out, replace=True)
    assert res.steps[0].action == "replaced"
    arr = next(o for o in load_scenario(out).scenario.observations if o.id == "arrivals")
    row = next(r for r in arr.rows if r.year == 2023)
    assert row.total == 210 and row.female == 164  # only the claim's sex is replaced
    assert f"evidence claim {c.id}" in (row.note or "")
    assert len(arr.rows) == len(load_scenario("north-korea").scenario.observations[0].rows)


def test_a_confidential_claim_is_used_without_its_identity(
    store: EvidenceStore, tmp_path: Path
) -> None:
    c = _ingest(
        store,
        tmp_path,
        SECRET_TEXT,
        title="Top Secret Title",
        publisher="Hidden Publisher",
        author="Jane Hidden",
        url="https://secret.example/x",
        confidential=True,
    )
    store.review(c.id, "edit", {"period": "2015", "value": "1300"})
    out = tmp_path / "conf.yaml"
    res = use_claims(store, "north-korea", [c.id], out, replace=True)
    text = out.read_text(encoding="utf-8")
    for marker in (*SECRET_MARKERS, c.source_id):
        assert marker not in text, marker
        assert all(marker not in s.message for s in res.steps), marker
    sc = load_scenario(out).scenario
    assert sc.sources[f"EV-CONF-{c.id}"].citation == CONFIDENTIAL_CITATION
    row = next(r for r in sc.observations[0].rows if r.year == 2015)
    assert row.total == 1300 and row.sources == [f"EV-CONF-{c.id}"]


def test_a_share_becomes_the_prior_of_its_unknown(store: EvidenceStore, tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text(BASE, encoding="utf-8")
    c = _ingest(store, tmp_path, "In 2015, 999 North Koreans arrived, the Ministry said.\n")
    store.review(
        c.id,
        "edit",
        {
            "kind": "share",
            "unit": "percent",
            "subject": "detained",
            "value": "10%",
            "value_high": "20%",
        },
    )
    out = tmp_path / "prior.yaml"
    res = use_claims(store, str(base), [c.id], out)
    (step,) = res.steps
    assert step.action == "prior" and step.target == "arrest_rate"
    sc = load_scenario(out).scenario
    assert sc.calibration is not None
    u = next(u for u in sc.calibration.unknowns if u.id == "arrest_rate")
    lo, hi = 0.10536, 0.22314  # −ln(1 − 10%), −ln(1 − 20%)
    assert u.prior.distribution == "lognormal"
    assert u.prior.median == pytest.approx((lo * hi) ** 0.5, rel=1e-3)
    assert u.prior.sigma == pytest.approx(0.2281, abs=1e-3)  # the range as its 90% interval
    assert u.prior.sources == [c.source_id] and "5–95%" in (u.prior.assumption or "")
    # a one-sided bound is no prior
    store.review(c.id, "edit", {"qualifier": "at least", "value_high": "none"})
    with pytest.raises(OverlayError, match="one-sided"):
        use_claims(store, str(base), [c.id], out)


# ----------------------------------------------------------------- conflicts that matter
def test_conflicts_that_matter_leave_out_rounding(store: EvidenceStore, tmp_path: Path) -> None:
    every = find_conflicts(store.claims())
    shown = conflicts_that_matter(every)
    keys = {(c.key.subject, c.key.sex, c.key.period) for c in shown}
    assert len(every) > 40 and 0 < len(shown) < 15
    assert ("arrived", "male", "..2025-12-31") not in keys  # 9,593 vs 9,594
    assert ("arrived", "total", "2009") not in keys  # revisions of 0.4–1.3%
    assert all(c.material() for c in shown)
    assert ("athletes", "total", "2012") in keys  # 51 vs 56: +9.8%
    assert [c.score for c in shown] == sorted((c.score for c in shown), reverse=True)
    # a planted figure: 210 against the official 196 arrivals in 2023 (+7%)
    planted = _ingest(
        store, tmp_path, "In 2023, 210 North Koreans arrived, the Ministry said.\n", reliability="B"
    )
    store.review(planted.id, "accept")
    shown = conflicts_that_matter(find_conflicts(store.claims()))
    c2023 = next(c for c in shown if (c.key.subject, c.key.period) == ("arrived", "2023"))
    assert c2023.max_gap == pytest.approx(14 / 196, rel=1e-6)
    # reliable sides rank before an unreliable one that disagrees more (S5, grade E)
    c2024 = next(
        c for c in shown if (c.key.subject, c.key.sex, c.key.period) == ("arrived", "male", "2024")
    )
    assert shown.index(c2023) < shown.index(c2024)
    assert len(conflicts_that_matter(every, everything=True)) == len(every)


def test_about_3000_and_2914_are_no_conflict() -> None:
    a = claim(3000, "hiding", "2015", "about", source_id="A")
    b = claim(2914, "hiding", "2015", source_id="B")
    assert not find_conflicts([a, b])
    c = claim(210, "arrived", "2023", source_id="C")
    d = claim(196, "arrived", "2023", source_id="D", confidence=0.9)
    (conflict,) = find_conflicts([c, d])
    assert conflict.material()


# ----------------------------------------------------------------- views: redacted
def test_views_never_name_a_confidential_source(store: EvidenceStore, tmp_path: Path) -> None:
    secret = _ingest(
        store,
        tmp_path,
        SECRET_TEXT,
        title="Top Secret Title",
        publisher="Hidden Publisher",
        author="Jane Hidden",
        url="https://secret.example/x",
        confidential=True,
    )
    public = _ingest(store, tmp_path, "Intro. In 2009, 2,950 North Koreans arrived, the MOU said.")
    for c in (secret, public):
        store.review(c.id, "accept")
        store.link_claim(c.id, "north-korea", observations=[("arrivals", "2009")])
    ev = scenario_evidence(store, "north-korea")
    everything = [
        as_dict(ev),
        as_dict(source_views(store)),
        as_dict(conflict_views(store, everything=True)),
        as_dict(document_view(store, secret.source_id)),
        as_dict(document_view(store, public.source_id)),
    ]
    dump = json.dumps(everything, default=str)
    for marker in SECRET_MARKERS:
        assert marker not in dump, marker
    row = next(r for r in ev.observations if (r.series, r.row) == ("arrivals", "2009"))
    by_id = {c.id: c for c in row.claims}
    assert by_id[secret.id].quote is None and by_id[secret.id].confidential
    assert by_id[secret.id].source_name == f"[confidential source {secret.source_id}]"
    quote = by_id[public.id].quote
    assert quote is not None and quote.quote == "In 2009, 2,950 North Koreans arrived"
    text = store.document_text(public.source_id) or ""
    assert text[quote.start : quote.end] == quote.quote and quote.before.endswith("Intro. ")
    doc = document_view(store, public.source_id)
    assert doc is not None and doc.text == text
    assert [(h.start, h.end) for h in doc.highlights] == [(quote.start, quote.end)]
    hidden = document_view(store, secret.source_id)
    assert hidden is not None and hidden.text is None and hidden.highlights == ()
    assert any(p.claims for p in ev.parameters)
    grades = {s.id: s.reliability for s in source_views(store)}
    assert grades["S1"] == "A"
    # and with the explicit opt-in, the identity is there
    shown = json.dumps(as_dict(document_view(store, secret.source_id, show_confidential=True)))
    assert "Top Secret Title" in shown


# ----------------------------------------------------------------- claims at 80 columns
def test_claims_are_readable_at_80_columns(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSINGS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(ingest_mod, "extract_claims", fake_extract)
    db = tmp_path / "ev.sqlite"
    shutil.copy(template, db)
    doc = tmp_path / "new.txt"
    doc.write_text("In 2023, 210 North Koreans arrived, the Ministry of Unification said.\n")
    assert runner.invoke(app, ["evidence", "add", str(doc), "--db", str(db)]).exit_code == 0
    buf = io.StringIO()
    monkeypatch.setattr(evidence_cli, "out", Console(width=80, file=buf, soft_wrap=True))
    r = runner.invoke(app, ["evidence", "claims", "--db", str(db)])
    assert r.exit_code == 0, r.stdout
    text = buf.getvalue()
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in text
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["id", "source"])
    body = [line for line in lines[header + 1 :] if line.strip()[:1].isdigit()]
    assert "210" in body[0] and "suggested" in body[0]  # the added document's claim first
    assert "2,914" in text  # the built-in ones after it
    # filters
    for args, want, unwanted in (
        (["--year", "2023", "--subject", "arrived"], "196", "2,914"),
        (["--status", "suggested"], "210", "2,914"),
        (["--source", "S88"], "athletes", "arrived"),
        (["--text", "210 north koreans"], "210", "2,914"),
    ):
        buf.truncate(0)
        buf.seek(0)
        r = runner.invoke(app, ["evidence", "claims", "--db", str(db), *args])
        assert r.exit_code == 0, (args, r.stdout)
        assert want in buf.getvalue() and unwanted not in buf.getvalue(), args


# ----------------------------------------------------------------- links at review
def test_accepting_proposes_links_and_keeps_confirmed_ones(
    store: EvidenceStore, tmp_path: Path
) -> None:
    from crossings.evidence.builtin import link_scenario  # noqa: PLC0415

    c = _ingest(store, tmp_path, "In 2016, 1,420 North Koreans arrived, the Ministry said.\n")
    db = store.url.removeprefix("sqlite:///")
    r = runner.invoke(app, ["evidence", "review", "--accept", str(c.id), "--db", db])
    assert r.exit_code == 0, r.stdout
    assert "series 'arrivals' row 2016 (total), already observed: 1,418" in r.stdout
    assert "not linked: add --yes" in r.stdout  # no terminal to ask, no --yes
    assert store.claim_observations(c.id) == []
    r = runner.invoke(app, ["evidence", "review", "--accept", str(c.id), "--yes", "--db", db])
    assert "linked (1 new link(s)" in r.stdout
    assert store.claim_observations(c.id) == [("north-korea", "arrivals", "2016", "confirmed")]
    # rebuilding the scenario's links keeps what a person confirmed
    link_scenario(store, load_scenario("north-korea"), force=True)
    assert store.claim_observations(c.id) == [("north-korea", "arrivals", "2016", "confirmed")]
    r = runner.invoke(app, ["evidence", "review", "--accept", str(c.id), "--yes", "--db", db])
    assert "already linked" in r.stdout
