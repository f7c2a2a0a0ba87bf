"""The root of the station's typed errors.

Every error the station raises on purpose derives from :class:`StationError`. Its ``str()``
is a message meant for the agent: it says what happened and what to do, and never carries
personal data (names, ID numbers, phone numbers, file contents).
"""


class StationError(Exception):
    """Base class of every deliberate station error."""
