"""Documented limits on scenario input, each named in the message that enforces it.

The limits keep a hostile or mistaken file from hanging or exhausting the
machine (alias bombs, deep nesting, huge files) and keep numbers inside what
the engine can represent (bit fields, integer widths, finite rates). They are
constants, not settings: a scenario that needs more is almost certainly a
mistake. ``docs/scenario-format.md`` ("Limits") lists them for users.
"""

from __future__ import annotations

MAX_FILE_BYTES = 5 * 1024 * 1024
"""Largest scenario file read (5 MiB; the built-in North Korea scenario is about 93 KB)."""

MAX_CSV_BYTES = 5 * 1024 * 1024
"""Largest observation CSV file read (5 MiB)."""

MAX_OVERRIDE_BYTES = 64 * 1024
"""Longest value of one ``--set`` override (64 KiB of YAML text)."""

MAX_DEPTH = 64
"""Deepest nesting of mappings and lists, aliases expanded (the North Korea scenario uses 9)."""

MAX_ALIASES = 10_000
"""Most uses of YAML aliases (``*name``) in one file."""

MAX_NODES = 1_000_000
"""Most YAML values (scalars, lists, mappings) in one file once aliases are expanded."""

MAX_FLAGS = 32
"""Most flags a scenario may declare: the engine keeps a person's flags in a 32-bit field."""

MAX_STATES = 32_767
"""Most states (of all sections together): the engine stores a state as a 16-bit integer."""

MAX_ORIGINS = 127
"""Most origins (inflow origins and delegation places): stored as an 8-bit integer."""

MAX_AGE_BANDS = 127
"""Most age bands: stored as an 8-bit integer."""

MAX_PEOPLE_PER_YEAR = 100_000_000.0
"""Largest inflow, in people per year (at any time of the span)."""

MAX_PEOPLE = 100_000_000.0
"""Largest group of people given at once (an inflow's ``initial`` stock, a delegation's size)."""

MAX_HAZARD_PER_YEAR = 1_000_000.0
"""Largest hazard rate, in events per person-year (a mean wait of about half a minute)."""

MAX_FACTOR = 1_000_000.0
"""Largest multiplier of a hazard (a modifier or a policy's scale factor)."""

MEMORY_SHARE = 0.5
"""Share of the machine's physical memory one command may plan to use."""

MEMORY_FALLBACK_BYTES = 8 * 1024**3
"""Memory assumed available where the physical memory cannot be read (8 GiB)."""


def format_bytes(n: float) -> str:
    """A byte count as ``12.3 GB`` (decimal units, three significant figures).

    Args:
        n: Number of bytes.

    Returns:
        The count in B, kB, MB, GB, TB or PB.
    """
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(value) < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.3g} {unit}"
        value /= 1000
    return f"{value:,.3g} PB"
