"""``python -m station``: the station command."""

from station.cli import main

main()
