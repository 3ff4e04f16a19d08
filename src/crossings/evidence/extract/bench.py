"""Benchmark of the extractor against a labelled set of articles.

A labelled set is a folder of articles (``.html``, ``.txt``, ``.md``), each
with a gold file ``<name>.gold.yaml`` next to it, possibly in sub-folders
(``dev/``, ``heldout/``). A gold file holds::

    published: 2018-01-15
    claims:
    - {value: 1127, subject: arrived, period: "2017", place: South Korea,
       attribution: Ministry of Unification}
    - {value: 0.83, kind: share, subject: arrived, sex: female, period: "2017"}

Optional claim fields: ``kind`` (count), ``qualifier`` (exact), ``sex``,
``place``, ``attribution`` (``null``, a name, or a list of acceptable names),
``unit`` (people; ``years``, ``months`` or ``days`` for a duration), ``measure``
(``flow``, ``stock`` or ``duration``; by default ``stock`` for a cumulative-to
period, ``duration`` for a unit of time, else ``flow``), ``note``.

Optional document fields: ``give_date`` (default true; false: the extractor is
not told the publication date and must read it from the document itself, its
metadata or dateline) and ``furniture`` (the text of numbers that are page
furniture -- footnote marks, slide counters, tables of contents, front matter,
sidebars of other headlines, datelines, time stamps; a predicted claim that
matches no gold claim and whose number is one of them is counted as a
furniture number taken as a claim).

Periods are written as ``null``, a mapping (start, end,
granularity) or in the period syntax of the evidence base
(:func:`crossings.evidence.types.parse_period`):

* ``"2017"`` (year), ``"2018H1"`` (half-year), ``"2019Q4"`` (quarter),
  ``"2019-03"`` (month), ``"2023-10-09"`` (day);
* ``"range:2012..2019"`` or ``"range:2017-07-01..2017-09-30"`` (range);
* ``"cum:..2019-12-31"`` or ``"cum:1998-01-01..2024-05-01"`` (cumulative-to).

Matching (one-to-one, greedy in text order): a predicted claim matches a gold
claim when the values agree (relative tolerance 1e-9; shares and rates as
fractions), the subjects are equal and the periods agree: same start and end,
or the same *year key* (both cumulative-to with the same end year, or both
with the same start year, end year and granularity). Claims precision is
matched / predicted, recall matched / gold.

Attribution is scored over matched pairs: a pair counts as a true positive
when both name an attribution and the normalised names (case-folded, without
"the", punctuation collapsed) contain one another; a predicted attribution
that is wrong or where gold has none is a false positive; a gold attribution
that is missing or wrong is a false negative.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from crossings.evidence.extract.claims import extract_claims
from crossings.evidence.extract.text import DocumentText, html_to_text, plain_to_text
from crossings.evidence.types import (
    ExtractedClaim,
    NamedPeriod,
    Period,
    as_granularity,
    parse_period,
)

__all__ = [
    "GoldClaim",
    "GoldDocument",
    "default_set_path",
    "gold_period",
    "load_gold",
    "match_claims",
    "run_benchmark",
]

_ARTICLE_SUFFIXES = (".html", ".htm", ".txt", ".md")
_TIME_UNITS = frozenset({"years", "months", "weeks", "days"})


@dataclass(frozen=True)
class GoldClaim:
    """One labelled claim.

    Attributes:
        value: The number (shares and rates as fractions).
        subject: Controlled subject word.
        period: The period or ``None``.
        kind: count, share or rate.
        qualifier: The qualifier.
        sex: "female", "male" or ``None``.
        place: Place name or ``None``.
        attribution: Acceptable attributed names (empty: none).
        unit: "people", or the unit of time of a duration.
        measure: "flow", "stock" or "duration".
    """

    value: float
    subject: str
    period: Period | None
    kind: str = "count"
    qualifier: str = "exact"
    sex: str | None = None
    place: str | None = None
    attribution: tuple[str, ...] = ()
    unit: str = "people"
    measure: str = "flow"


@dataclass(frozen=True)
class GoldDocument:
    """An article with its gold claims.

    Attributes:
        path: The article file.
        split: Sub-folder name ("dev", "heldout") or "".
        published: Publication date.
        claims: Gold claims.
        give_date: Whether the extractor is told the publication date (false:
            it must find the date in the document).
        furniture: Number texts that are page furniture.
    """

    path: Path
    split: str
    published: dt.date | None
    claims: tuple[GoldClaim, ...]
    give_date: bool = True
    furniture: tuple[str, ...] = ()


def gold_period(value: object) -> Period | None:
    """A gold file's period: ``None``, a mapping, or the text form.

    Text goes through the one period syntax of the evidence base,
    :func:`crossings.evidence.types.parse_period` (``2017``, ``2018H1`` or
    ``2018-H1``, ``2019Q4``, ``2019-03``, ``2023-10-09``, ``range:A..B``,
    ``cum:..END``, ``cum:START..END``); a YAML date or year is read as its text.

    Args:
        value: ``None``, a mapping (start, end, granularity) or a string.

    Returns:
        The period.

    Raises:
        ValueError: For an unreadable period.
    """
    if value is None:
        return None
    if isinstance(value, Mapping):
        start, end = value.get("start"), value.get("end")
        first = parse_period(str(start)) if start is not None else None
        last = parse_period(str(end)) if end is not None else None
        return Period(
            first.start if first else None,
            last.end if last else None,
            as_granularity(value.get("granularity")),
        )
    return parse_period(str(value))


def _gold_claim(raw: Mapping[str, Any]) -> GoldClaim:
    """Build a gold claim from its YAML mapping.

    Args:
        raw: The mapping.

    Returns:
        The claim.
    """
    attr = raw.get("attribution")
    names: tuple[str, ...]
    if attr is None:
        names = ()
    elif isinstance(attr, str):
        names = (attr,)
    else:
        names = tuple(str(a) for a in attr)
    period = gold_period(raw.get("period"))
    unit = str(raw.get("unit", "people"))
    default_measure = (
        "duration"
        if unit in _TIME_UNITS
        else "stock"
        if period is not None and period.granularity == "cumulative-to"
        else "flow"
    )
    return GoldClaim(
        value=float(raw["value"]),
        subject=str(raw["subject"]),
        period=period,
        kind=str(raw.get("kind", "count")),
        qualifier=str(raw.get("qualifier", "exact")),
        sex=raw.get("sex"),
        place=raw.get("place"),
        attribution=names,
        unit=unit,
        measure=str(raw.get("measure", default_measure)),
    )


def default_set_path() -> Path:
    """Locate the shipped labelled set (``tests/evidence_articles``).

    Looks relative to the source tree (an editable install or a checkout) and
    then relative to the current directory.

    Returns:
        The folder.

    Raises:
        FileNotFoundError: When no labelled set is found (for example in a
            wheel installed without the repository).
    """
    here = Path(__file__).resolve()
    candidates = [parent / "tests" / "evidence_articles" for parent in here.parents]
    candidates.append(Path.cwd() / "tests" / "evidence_articles")
    for c in candidates:
        if c.is_dir():
            return c
    raise FileNotFoundError(
        "labelled article set not found: expected tests/evidence_articles in the repository "
        "checkout (run from the repository root, or pass the folder to run_benchmark(path))"
    )


def load_gold(path: Path) -> list[GoldDocument]:
    """Load all labelled articles under a folder.

    Args:
        path: The folder (searched recursively).

    Returns:
        Documents sorted by path.

    Raises:
        FileNotFoundError: When the folder holds no labelled article.
    """
    docs: list[GoldDocument] = []
    for gold_path in sorted(path.rglob("*.gold.yaml")):
        stem = gold_path.name[: -len(".gold.yaml")]
        article = next(
            (
                gold_path.with_name(stem + suf)
                for suf in _ARTICLE_SUFFIXES
                if gold_path.with_name(stem + suf).exists()
            ),
            None,
        )
        if article is None:
            raise FileNotFoundError(f"no article for gold file {gold_path}")
        raw = yaml.safe_load(gold_path.read_text(encoding="utf-8")) or {}
        published = raw.get("published")
        if isinstance(published, str):
            published = dt.date.fromisoformat(published)
        rel = gold_path.parent.relative_to(path)
        split = rel.parts[0] if rel.parts else ""
        claims = tuple(_gold_claim(c) for c in raw.get("claims") or ())
        furniture = tuple(str(f) for f in raw.get("furniture") or ())
        give_date = bool(raw.get("give_date", True))
        docs.append(GoldDocument(article, split, published, claims, give_date, furniture))
    if not docs:
        raise FileNotFoundError(f"no *.gold.yaml files under {path}")
    return docs


def read_article(path: Path) -> DocumentText:
    """Read an article file into stored text.

    Args:
        path: ``.html``/``.htm``, ``.md`` or ``.txt`` file.

    Returns:
        The document text.
    """
    raw = path.read_text(encoding="utf-8")
    if path.suffix in (".html", ".htm"):
        return html_to_text(raw)
    return plain_to_text(raw, markdown=path.suffix == ".md")


def _values_equal(a: float, b: float) -> bool:
    """Values agree within relative tolerance 1e-9.

    Args:
        a: First value.
        b: Second value.

    Returns:
        True when equal.
    """
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _year_key(p: Period) -> tuple[object, ...]:
    """Coarse key of a period for lenient matching.

    Args:
        p: The period.

    Returns:
        ("cum", end year) for cumulative periods, else (start year, end year,
        granularity).
    """
    if p.granularity == "cumulative-to":
        return ("cum", p.end.year if p.end else None)
    return (p.start.year if p.start else None, p.end.year if p.end else None, p.granularity)


def periods_match(pred: Period | None, gold: Period | None) -> bool:
    """Whether two periods agree for scoring.

    Args:
        pred: Predicted period.
        gold: Gold period.

    Returns:
        True when both are absent, have the same start and end, or share the
        same year key.
    """
    if pred is None or gold is None:
        return pred is None and gold is None
    if pred.start == gold.start and pred.end == gold.end:
        return True
    return _year_key(pred) == _year_key(gold)


def _norm_name(name: str) -> str:
    """Normalise an attributed name.

    Args:
        name: The name.

    Returns:
        Case-folded, without "the", apostrophes and punctuation collapsed.
    """
    s = name.casefold().replace("’", "'")
    s = re.sub(r"[^\w' ]+", " ", s)
    s = re.sub(r"\bthe\b", " ", s)
    return " ".join(s.split())


def attribution_agrees(pred: str, gold: Sequence[str]) -> bool:
    """Whether a predicted name agrees with any acceptable gold name.

    Args:
        pred: Predicted name.
        gold: Acceptable gold names.

    Returns:
        True when one normalised name contains the other.
    """
    p = _norm_name(pred)
    for g in gold:
        n = _norm_name(g)
        if p and n and (p in n or n in p):
            return True
    return False


def match_claims(
    predicted: Sequence[ExtractedClaim], gold: Sequence[GoldClaim]
) -> list[tuple[int, int]]:
    """One-to-one matching of predicted and gold claims.

    Args:
        predicted: Predicted claims.
        gold: Gold claims.

    Returns:
        (predicted index, gold index) pairs.
    """
    used: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for i, p in enumerate(predicted):
        for j, g in enumerate(gold):
            if j in used:
                continue
            if (
                _values_equal(p.value, g.value)
                and p.subject == g.subject
                and periods_match(p.period, g.period)
            ):
                used.add(j)
                pairs.append((i, j))
                break
    return pairs


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    """Precision, recall and F1.

    Args:
        tp: True positives.
        n_pred: Predicted count.
        n_gold: Gold count.

    Returns:
        The three scores (1.0 for empty denominators).
    """
    p = tp / n_pred if n_pred else 1.0
    r = tp / n_gold if n_gold else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f}


def _fmt_period(p: Period | None) -> str | None:
    """Short text for a period in reports.

    Args:
        p: The period.

    Returns:
        "start..end (granularity)" or ``None``.
    """
    if p is None:
        return None
    return f"{p.start or ''}..{p.end or ''} ({p.granularity})"


def _score(
    docs: Iterable[GoldDocument], named_periods: Sequence[NamedPeriod] = ()
) -> dict[str, object]:
    """Run the extractor on documents and score it.

    Args:
        docs: Labelled documents.
        named_periods: Events the articles date periods from.

    Returns:
        The benchmark report.
    """
    n_pred = n_gold = tp = 0
    a_tp = a_fp = a_fn = 0
    extras = {
        "qualifier": [0, 0],
        "sex": [0, 0],
        "place": [0, 0],
        "kind": [0, 0],
        "unit": [0, 0],
        "measure": [0, 0],
    }
    details: list[dict[str, object]] = []
    elapsed = 0.0
    n_docs = 0
    n_furniture = 0
    for doc in docs:
        n_docs += 1
        t0 = time.perf_counter()
        text = read_article(doc.path)
        # give_date: false -- the extractor must find the date itself (metadata or dateline)
        published = (doc.published or text.date) if doc.give_date else text.date
        predicted = extract_claims(text.text, published=published, named_periods=named_periods)
        elapsed += time.perf_counter() - t0
        pairs = match_claims(predicted, doc.claims)
        n_pred += len(predicted)
        n_gold += len(doc.claims)
        tp += len(pairs)
        attr_errors: list[dict[str, object]] = []
        for i, j in pairs:
            p, g = predicted[i], doc.claims[j]
            pw = p.attribution.who if p.attribution else None
            ok = pw is not None and bool(g.attribution) and attribution_agrees(pw, g.attribution)
            if ok:
                a_tp += 1
            else:
                if pw is not None:
                    a_fp += 1
                if g.attribution:
                    a_fn += 1
                if pw is not None or g.attribution:
                    attr_errors.append(
                        {"value": g.value, "predicted": pw, "gold": list(g.attribution)}
                    )
            p_unit = p.unit if p.unit in _TIME_UNITS else "people"
            for key, pv, gv in (
                ("qualifier", p.qualifier, g.qualifier),
                ("sex", p.sex, g.sex),
                ("place", p.place, g.place),
                ("kind", p.kind, g.kind),
                ("unit", p_unit, g.unit),
                ("measure", p.extra.get("measure", "flow"), g.measure),
            ):
                extras[key][1] += 1
                extras[key][0] += int(pv == gv)
        matched_p = {i for i, _ in pairs}
        matched_g = {j for _, j in pairs}
        furniture = set(doc.furniture)
        furniture_claims = [
            p.extra.get("number_text", "")
            for i, p in enumerate(predicted)
            if i not in matched_p and p.extra.get("number_text", "") in furniture
        ]
        n_furniture += len(furniture_claims)
        details.append(
            {
                "article": f"{doc.split}/{doc.path.name}" if doc.split else doc.path.name,
                "predicted": len(predicted),
                "gold": len(doc.claims),
                "matched": len(pairs),
                "false_positives": [
                    {
                        "value": p.value,
                        "subject": p.subject,
                        "period": _fmt_period(p.period),
                        "number": p.extra.get("number_text"),
                        "quote": p.quote[:160],
                    }
                    for i, p in enumerate(predicted)
                    if i not in matched_p
                ],
                "misses": [
                    {"value": g.value, "subject": g.subject, "period": _fmt_period(g.period)}
                    for j, g in enumerate(doc.claims)
                    if j not in matched_g
                ],
                "attribution_errors": attr_errors,
                "furniture_claims": furniture_claims,
            }
        )
    claims = _prf(tp, n_pred, n_gold)
    attribution = _prf(a_tp, a_tp + a_fp, a_tp + a_fn)
    return {
        "articles": n_docs,
        "claims": {**claims, "predicted": n_pred, "gold": n_gold, "matched": tp},
        "attribution": {
            **attribution,
            "true_positives": a_tp,
            "false_positives": a_fp,
            "false_negatives": a_fn,
        },
        "field_accuracy_on_matched": {k: (v[0] / v[1] if v[1] else 1.0) for k, v in extras.items()},
        "furniture_claims": n_furniture,
        "seconds_per_article": elapsed / n_docs if n_docs else 0.0,
        "details": details,
    }


def run_benchmark(
    path: Path | None = None,
    *,
    split: str | None = None,
    named_periods: Sequence[NamedPeriod] = (),
    exclude: Sequence[str] = (),
) -> dict[str, object]:
    """Measure the extractor on a labelled set.

    Args:
        path: Folder of the labelled set; ``None`` for the shipped one
            (``tests/evidence_articles`` of the repository).
        split: Only articles of this sub-folder ("dev", "heldout"); ``None``
            for all, reported per split as well.
        named_periods: Events the articles date periods from ("since the
            pandemic"); the shipped set is about North Korea and is labelled
            with the built-in evidence's
            (:func:`crossings.evidence.builtin.named_periods`).
        exclude: Sub-folders to leave out (when ``split`` is ``None``).

    Returns:
        A report: ``claims`` and ``attribution`` (precision, recall, f1 and
        counts), ``field_accuracy_on_matched``, ``seconds_per_article``,
        ``furniture_claims`` (predicted claims on numbers the gold marks as page
        furniture), ``details`` (per article: misses, false positives,
        attribution errors, furniture numbers taken as claims) and, without
        ``split``, ``splits`` (the same per split).

    Raises:
        FileNotFoundError: When the labelled set cannot be found.
    """
    root = path if path is not None else default_set_path()
    docs = [d for d in load_gold(root) if d.split not in set(exclude)]
    if split is not None:
        chosen = [d for d in docs if d.split == split]
        if not chosen:
            raise FileNotFoundError(f"no articles in split {split!r} under {root}")
        report = _score(chosen, named_periods)
        report["split"] = split
        return report
    report = _score(docs, named_periods)
    splits = sorted({d.split for d in docs if d.split})
    report["splits"] = {
        s: {
            k: v
            for k, v in _score([d for d in docs if d.split == s], named_periods).items()
            if k != "details"
        }
        for s in splits
    }
    return report
