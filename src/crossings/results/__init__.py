"""Results: tidy tables, observed vs simulated, atomic output, journeys."""

from crossings.results.io import write_results
from crossings.results.journeys import journeys_text
from crossings.results.results import Results

__all__ = ["Results", "journeys_text", "write_results"]
