"""Handing a PDF to the operating system: open it in the PDF viewer, or send it to a
printer. Commands are argument lists, never shell strings.

- Windows: ``os.startfile(path, "open" | "print")``; ``"printto"`` with a printer name.
- macOS: ``open path``; ``lp [-d printer] path``.
- Linux (and other Unix): ``xdg-open path``; ``lp [-d printer] path`` (CUPS).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from station.i18n import _
from station.printing.errors import PrintingError

log = logging.getLogger(__name__)

# A viewer started by xdg-open may keep it running: past this, the viewer is up.
_OPEN_WAIT_SECONDS = 5.0
_PRINT_WAIT_SECONDS = 60.0


class PrintError(PrintingError):
    """The PDF could not be opened or printed; the message says what to check."""


ErrorFactory = Callable[[], PrintError]


def no_viewer_error() -> PrintError:
    return PrintError(
        _("No program to show PDF files was found. Install a PDF viewer, then try again.")
    )


def no_printer_error() -> PrintError:
    return PrintError(
        _(
            "The document could not be sent to the printer. Check that the printer is "
            "switched on, installed and chosen in the settings (or set as the default "
            "printer), then try again."
        )
    )


def open_command(path: Path, platform: str = sys.platform) -> list[str]:
    """The command that opens ``path`` in the default viewer (macOS and Unix)."""
    opener = "open" if platform == "darwin" else "xdg-open"
    return [opener, str(path)]


def print_command(path: Path, printer: str | None = None, media: str | None = None) -> list[str]:
    """The CUPS command that prints ``path`` on ``printer`` (or the default printer),
    asking for paper ``media`` (such as ``A4``) when given."""
    command = ["lp"]
    if printer:
        command += ["-d", printer]
    if media:
        command += ["-o", f"media={media}"]
    return [*command, str(path)]


def open_pdf(path: Path) -> None:
    """Show the PDF in the system's viewer. Raises PrintError."""
    path = _existing(path)
    if sys.platform == "win32":
        _startfile(path, "open", None, no_viewer_error)
        return
    _run(open_command(path), _OPEN_WAIT_SECONDS, no_viewer_error, detach=True)


def send_to_printer(path: Path, printer: str | None = None, media: str | None = None) -> None:
    """Print the PDF on ``printer`` (the default printer when None) on paper ``media``
    (macOS and Unix; Windows prints on the printer's own paper). Raises PrintError."""
    path = _existing(path)
    if sys.platform == "win32":
        if printer:
            _startfile(path, "printto", subprocess.list2cmdline([printer]), no_printer_error)
        else:
            _startfile(path, "print", None, no_printer_error)
        return
    _run(print_command(path, printer, media), _PRINT_WAIT_SECONDS, no_printer_error, detach=False)


def _existing(path: Path) -> Path:
    """``path`` made absolute (so it never reads as an option); raises PrintError when
    the file is gone."""
    path = Path(path).resolve()
    if not path.is_file():
        raise PrintError(_("The printed file is no longer there. Print the document again."))
    return path


def _startfile(path: Path, verb: str, argument: str | None, error: ErrorFactory) -> None:
    try:
        if argument is None:
            os.startfile(str(path), verb)  # type: ignore[attr-defined]  # Windows only
        else:
            os.startfile(str(path), verb, argument)  # type: ignore[attr-defined]
    except OSError as exc:
        log.warning("startfile %s failed: %s", verb, type(exc).__name__)
        raise error() from None


def _run(command: list[str], wait: float, error: ErrorFactory, *, detach: bool) -> None:
    """Run ``command``; a non-zero exit or a missing program raises ``error()``.

    With ``detach`` a program still running after ``wait`` seconds counts as success
    (a viewer that stays open); otherwise it is stopped and counts as failure.
    """
    if shutil.which(command[0]) is None:
        log.warning("%s is not installed", command[0])
        raise error()
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=detach,
    )
    try:
        code = process.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        if detach:
            return
        process.kill()
        process.wait()
        code = None
    if code != 0:
        log.warning("%s failed with exit code %s", command[0], code)
        raise error()
