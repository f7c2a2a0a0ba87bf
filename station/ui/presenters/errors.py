"""Plain words for errors: what happened and what to do, never a traceback."""

from __future__ import annotations

from forms.errors import FormsError
from station.errors import StationError
from station.i18n import _


def describe(error: BaseException) -> str:
    """The message to show the agent for ``error``."""
    if isinstance(error, (StationError, FormsError)):
        return str(error)
    if isinstance(error, OSError):
        message = _("The computer refused the operation ({reason}). Check the disk and try again.")
        return message.format(reason=error.strerror or type(error).__name__)
    return _(
        "Something unexpected went wrong ({kind}). Your saved work is safe; "
        "restart the app and tell the township's support if it happens again."
    ).format(kind=type(error).__name__)
