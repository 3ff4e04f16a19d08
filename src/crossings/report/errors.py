"""The error raised for bad report input (shown to users without a traceback)."""

from __future__ import annotations


class ReportError(Exception):
    """A report cannot be built: a missing or unreadable results folder, an unwritable output.

    The message is meant for the user as it is (the command line prints it and
    exits with status 2).
    """
