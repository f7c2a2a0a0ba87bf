"""Gettext set-up for the station. English is the source language; zh_CN is the default."""

from __future__ import annotations

import gettext
import os
from assets import ROOT as _ASSETS
from forms.i18n import catalog

DOMAIN = "station"
DEFAULT_LANGUAGE = "zh_CN"
LOCALE_DIR = _ASSETS / "locale"


def _(message: str) -> str:
    """Translate ``message`` in the station's domain."""
    return catalog().gettext(message)


def pgettext(context: str, message: str) -> str:
    """Translate ``message`` where the same English words need another translation."""
    return catalog().pgettext(context, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message with a count."""
    return catalog().ngettext(singular, plural, n)


def setup(language: str | None = None) -> str:
    """Bind the message catalog and select ``language`` (default zh_CN); return it.

    Every package (``forms``, ``sync``, ``station``) translates through the same domain,
    so binding it once here serves them all.
    """
    chosen = language or os.environ.get("STATION_LANGUAGE") or DEFAULT_LANGUAGE
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    os.environ["LANGUAGE"] = chosen
    return chosen
