"""``python -m gridtwin``: the command line."""

from gridtwin.cli import main

main()
