"""Reports: one self-contained HTML file from one or more results folders.

::

    from crossings.report import build_report
    build_report(["results/", "never_closed/"], "report.html", figures_dir="figures/")

The first screen says what was run, the what-if's answer (several folders:
the first is the baseline) and the headline figures of the people the
scenario is about, next to how well they meet what is counted; context
populations are shown apart. Then: arrivals vs observed, where the people
went (a Sankey without loops, each cohort's fate), the map, stocks over time,
the uncounted (model estimates, when present), the what-if comparison in
detail and where the numbers come from.
Everything (plotly's JavaScript, styles, figures, map outlines) is inside the
file; it opens from disk without a network.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

from crossings.report.data import ResultSet, load_result_set, yearly_series
from crossings.report.errors import ReportError
from crossings.report.figures import (
    ReportFigure,
    cohort_figure,
    estimates_figure,
    map_figure,
    observation_figure,
    sankey_figure,
    stocks_figure,
    whatif_figure,
)
from crossings.report.html import render_page, write_atomic
from crossings.results import views

__all__ = ["ReportError", "build_report"]

log = logging.getLogger(__name__)


def build_report(
    result_dirs: Sequence[str | Path], out_html: str | Path, figures_dir: str | Path | None = None
) -> Path:
    """Build the HTML report (and optionally static PNG/SVG figures).

    Args:
        result_dirs: Folders written by ``crossings run --out``; with several,
            the first is the baseline of the what-if comparison.
        out_html: The HTML file to write (atomically: complete or not at all).
        figures_dir: If given, a folder to write every figure into as PNG and
            SVG (drawn with matplotlib; written atomically as a whole).

    Returns:
        The path of the HTML file.

    Raises:
        ReportError: For a missing folder, a folder that is not a results
            folder, an unreadable table, or an output that cannot be written.
    """
    if not result_dirs:
        raise ReportError("give at least one results folder (written by 'crossings run --out')")
    t0 = time.perf_counter()
    loaded = [load_result_set(Path(d)) for d in result_dirs]
    _unique_labels(loaded)
    sets = [rs.for_population() for rs in loaded]  # each folder's headline population
    base = sets[0]
    context = [
        (loaded[0].for_population(p.id), views.population_title(p))
        for p in loaded[0].populations()[1:]
        if not p.within  # a sub-population is part of the headline's figures
    ]
    stocks = [stocks_figure(base)] + [
        stocks_figure(rs, title, timeline=False) for rs, title in context
    ]
    figs: dict[str, list[ReportFigure]] = {
        "observed": [
            f
            for s in yearly_series(base.observations)
            if (f := observation_figure(base, s)) is not None
        ],
        "outcomes": [f for f in (sankey_figure(base), cohort_figure(base)) if f is not None],
        "map": [f for f in (map_figure(base),) if f is not None],
        "stocks": [f for f in stocks if f is not None],
        "uncounted": [f for f in (estimates_figure(base),) if f is not None],
        "whatif": [f for f in (whatif_figure(sets),) if f is not None],
    }
    log.info("figures built in %.1f s", time.perf_counter() - t0)
    if figures_dir is not None:
        from crossings.report.static import export_figures  # noqa: PLC0415

        export_figures(loaded, Path(figures_dir))
    page = render_page(sets, figs, context)
    path = write_atomic(Path(out_html), page)
    log.info(
        "report written to %s (%.1f MB) in %.1f s", path, len(page) / 1e6, time.perf_counter() - t0
    )
    return path


def _unique_labels(sets: list[ResultSet]) -> None:
    """Make legend labels unique by adding the folder name where two are equal."""
    counts: dict[str, int] = {}
    for rs in sets:
        counts[rs.label] = counts.get(rs.label, 0) + 1
    for rs in sets:
        if counts[rs.label] > 1:
            rs.label = f"{rs.label} ({rs.path.name})"
