"""Handing a rendered PDF to the printer and telling the agent how it went."""

from __future__ import annotations

from typing import Callable

import ttkbootstrap as tb

from station.i18n import _
from station.ui.presenters.errors import describe


def send_and_report(pdf, send: Callable[[object], None], message: tb.Label) -> None:  # noqa: ANN001
    """Send ``pdf``; on failure the PDF stays ready and the label says what to check."""
    try:
        send(pdf)
    except Exception as error:  # noqa: BLE001 - shown in plain words
        message.configure(text=_("The PDF is ready at {path}, but: {problem}").format(
            path=pdf.path, problem=describe(error)), bootstyle="warning")
        return
    message.configure(text=_("Sent to the printer."), bootstyle="success")
