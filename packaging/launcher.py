"""The entry point of the bundle's ``station`` program, opening the window when run bare
(the bundle's other program, ``station-launcher``, starts at packaging/station_launcher.py).

A double-click (Windows Explorer, a desktop launcher) gives no arguments; that means
``station app``. With arguments it is the ``station`` command line, e.g. ``station init``.
"""

import sys

from station.entry import main

if __name__ == "__main__":
    if len(sys.argv) == 1:
        sys.argv.append("app")
    main()
