"""``python -m crossings`` runs the command line."""

from crossings.cli import main

main()
