"""The rich consoles the command lines print to, and the progress of long jobs."""

from __future__ import annotations

import os
import sys
from typing import Any

from rich.console import Console


def _width(stream_is_tty: bool) -> int | None:
    """Terminal width, or a wide page when writing to a file or pipe."""
    env = os.environ.get("COLUMNS", "")
    if env.isdigit():
        return int(env)
    return None if stream_is_tty else 150


out = Console(soft_wrap=True, width=_width(sys.stdout.isatty()))
"""Standard output."""
err = Console(stderr=True, soft_wrap=True, width=_width(sys.stderr.isatty()))
"""Standard error (messages, progress)."""


class JobProgress:
    """Visible progress of a long job, on a terminal or in a log.

    On a terminal it is a progress bar with the stage, what is done and an
    estimate of the time left; otherwise (a pipe, a file, CI) it prints a
    plain line when the stage changes and at most every ``every`` seconds.

    Example::

        with JobProgress("calibrating north-korea") as job:
            job.update("fit", 0.4, "24 model evaluations")

    Args:
        title: What the job is.
        console: Where to print (standard error by default).
        every: Seconds between plain lines when not on a terminal.
        quiet: Print nothing.
    """

    def __init__(
        self,
        title: str,
        *,
        console: Console | None = None,
        every: float = 15.0,
        quiet: bool = False,
    ) -> None:
        self.title = title
        self.console = console or err
        self.every = every
        self.quiet = quiet
        self._bar: Any = None
        self._task: Any = None
        self._stage = ""
        self._stage_t0 = 0.0
        self._last = 0.0

    def __enter__(self) -> JobProgress:
        import time  # noqa: PLC0415

        from rich.progress import (  # noqa: PLC0415 - rich's progress is loaded when used
            BarColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._t0 = time.monotonic()
        if not self.quiet and self.console.is_terminal:
            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                console=self.console,
                transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task(self.title, total=1.0)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None

    def update(self, stage: str, fraction: float, detail: str = "") -> None:
        """Report the current stage and the fraction of it that is done.

        Args:
            stage: What is being done (``fit``, ``sampling``, ``runs``…).
            fraction: Of the stage, 0–1.
            detail: What is done so far, in words (``120 of 400 model evaluations``).
        """
        import time  # noqa: PLC0415

        if self.quiet:
            return
        now = time.monotonic()
        if stage != self._stage:
            self._stage, self._stage_t0 = stage, now
        fraction = min(max(fraction, 0.0), 1.0)
        text = f"{self.title}: {stage}" + (f" ({detail})" if detail else "")
        if self._bar is not None:
            # the bar's time-left column follows this stage (its completed fraction)
            self._bar.update(self._task, completed=fraction, description=text)
            return
        new_stage = now - self._stage_t0 < 1e-9
        if not new_stage and now - self._last < self.every and fraction < 1.0:
            return
        self._last = now
        spent = now - self._stage_t0
        left = (
            f", about {spent * (1 - fraction) / fraction:,.0f} s left in this stage"
            if 0.02 <= fraction < 1 and spent > 1  # from under 2% done it is noise
            else ""
        )
        self.console.print(
            f"{text}: {100 * fraction:.0f}%, {now - self._t0:,.0f} s elapsed{left}",
            markup=False,
            highlight=False,
        )
