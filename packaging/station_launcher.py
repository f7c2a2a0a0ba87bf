"""The bundle's second program, ``station-launcher``: starts the installed app version and
installs a release the first time (``station.updates.main``; see docs/packaging.md)."""

import sys

from station.updates import main

if __name__ == "__main__":
    sys.exit(main())
