"""Printing: the intake receipt, the one-time notice and the commitment letter as PDF.

No Tk here: the UI calls :meth:`PrintService.make_pdf` on a worker thread, then
:func:`open_pdf` or :func:`send_to_printer`. Names are loaded on first use, so that
importing the package does not import fpdf2, fontTools and qrcode (half a second) before
anything is printed.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "PrintError": "dispatch",
    "open_pdf": "dispatch",
    "send_to_printer": "dispatch",
    "CommitmentLetter": "documents",
    "DocumentKind": "documents",
    "IntakeReceipt": "documents",
    "build_commitment": "documents",
    "build_receipt": "documents",
    "DocumentUnavailableError": "errors",
    "MatterMismatchError": "errors",
    "PrintingError": "errors",
    "FontMissingError": "fonts",
    "PrintFont": "fonts",
    "find_font": "fonts",
    "Paper": "paper",
    "OneTimeNotice": "notice",
    "build_notice": "notice",
    "output_dir": "output",
    "RenderedPdf": "pdf",
    "render": "pdf",
    "PrintService": "service",
    "build": "service",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
