"""``python -m station``: the station command."""

from station.entry import main

main()
