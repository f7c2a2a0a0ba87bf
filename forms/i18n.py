"""Gettext marker for forms. The application binds the ``station`` domain (see station.i18n).

The catalog is looked up once per (language, locale directory) and cached: ``dgettext``
would search the file system again on every call, which costs more than evaluating a form.
"""

import functools
import gettext
import os

DOMAIN = "station"


@functools.lru_cache(maxsize=16)
def _catalog(language: str | None, localedir: str | None) -> gettext.NullTranslations:
    languages = language.split(":") if language else None
    return gettext.translation(DOMAIN, localedir, languages=languages, fallback=True)


def catalog() -> gettext.NullTranslations:
    """The translations in force now (English when none is bound)."""
    return _catalog(os.environ.get("LANGUAGE"), gettext.bindtextdomain(DOMAIN))


def _(message: str) -> str:
    """Translate ``message``; English when no catalog is bound."""
    return catalog().gettext(message)
