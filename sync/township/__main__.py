"""``python -m sync.township``: the ``township`` command."""

from sync.township.cli import main

main()
