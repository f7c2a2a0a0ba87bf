"""Handing PDFs to the operating system. The real ``lp`` and ``xdg-open`` need a printer
and a desktop; stand-in scripts on PATH record the arguments they were given instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.printing.dispatch import (
    PrintError,
    open_command,
    open_pdf,
    print_command,
    send_to_printer,
)

_STAND_IN = """#!/bin/sh
printf '%s\\n' "$@" > "$STAND_IN_ARGS"
exit "${STAND_IN_EXIT:-0}"
"""


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "TEST01-20261123-0001-receipt.pdf"
    path.write_bytes(b"%PDF-1.4\n")
    return path


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch) -> Path:
    """An otherwise empty PATH holding the stand-ins."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name in ("lp", "xdg-open", "open"):
        script = folder / name
        script.write_text(_STAND_IN)
        script.chmod(0o755)
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.setenv("STAND_IN_ARGS", str(tmp_path / "args"))
    return folder


def given_args(tmp_path: Path) -> list[str]:
    return (tmp_path / "args").read_text().splitlines()


@pytest.mark.parametrize(
    ("printer", "media", "options"),
    [
        (None, None, []),
        ("Office Laser", None, ["-d", "Office Laser"]),
        ("HP", "A5", ["-d", "HP", "-o", "media=A5"]),
    ],
)
def test_send_to_printer_runs_lp_with_an_argument_list(
    bin_dir, pdf, tmp_path, printer, media, options
) -> None:
    send_to_printer(pdf, printer, media)
    assert given_args(tmp_path) == [*options, str(pdf.resolve())]


def test_open_pdf_runs_the_desktop_opener(bin_dir, pdf, tmp_path) -> None:
    open_pdf(pdf)
    assert given_args(tmp_path) == [str(pdf.resolve())]


def test_a_printer_that_refuses_raises_print_error(bin_dir, pdf, monkeypatch) -> None:
    monkeypatch.setenv("STAND_IN_EXIT", "1")
    with pytest.raises(PrintError, match="printer"):
        send_to_printer(pdf)


@pytest.mark.parametrize("action", [send_to_printer, open_pdf])
def test_no_printing_system_or_viewer_raises_print_error(bin_dir, pdf, action) -> None:
    for script in bin_dir.iterdir():
        script.unlink()
    with pytest.raises(PrintError):
        action(pdf)


@pytest.mark.parametrize("action", [send_to_printer, open_pdf])
def test_a_file_that_is_gone_raises_print_error(bin_dir, tmp_path, action) -> None:
    with pytest.raises(PrintError, match="again"):
        action(tmp_path / "gone.pdf")


@pytest.mark.parametrize(
    ("platform", "command"), [("darwin", "open"), ("linux", "xdg-open"), ("freebsd14", "xdg-open")]
)
def test_the_opener_of_each_platform(platform: str, command: str) -> None:
    assert open_command(Path("/p/a b.pdf"), platform) == [command, "/p/a b.pdf"]


def test_a_file_name_with_shell_characters_is_one_argument(bin_dir, tmp_path) -> None:
    odd = tmp_path / "a; rm -rf $HOME `x`.pdf"
    odd.write_bytes(b"%PDF-1.4\n")
    send_to_printer(odd)
    assert given_args(tmp_path) == [str(odd.resolve())]
    assert print_command(odd) == ["lp", str(odd)]
