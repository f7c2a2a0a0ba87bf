"""Data shipped with the app: the bundled catalog, locale catalogs, fonts and icons."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent
