"""Results: tidy tables, the self-describing results bundle (write and read), journeys."""

from crossings.results.bundle import Bundle, BundleError, RunMode, open_bundle
from crossings.results.io import write_results
from crossings.results.results import Results

__all__ = ["Bundle", "BundleError", "Results", "RunMode", "open_bundle", "write_results"]
