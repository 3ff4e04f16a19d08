"""The rich consoles the command lines print to (one place for their width rule)."""

from __future__ import annotations

import os
import sys

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
