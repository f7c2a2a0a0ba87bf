"""Gettext marker for forms. The application binds the ``station`` domain (see station.i18n)."""

import gettext

DOMAIN = "station"


def _(message: str) -> str:
    """Translate ``message``; English when no catalog is bound."""
    return gettext.dgettext(DOMAIN, message)
