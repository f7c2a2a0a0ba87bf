"""Finding the CJK font that printed documents embed (see docs/adr/0005-printing-font.md).

One font everywhere: Noto Sans CJK SC Regular (SIL Open Font License 1.1), the face
"Noto Sans CJK SC" of ``NotoSansCJK-Regular.ttc`` as Debian's ``fonts-noto-cjk`` ships it,
or the single-face ``NotoSansCJKsc-Regular.otf`` / ``NotoSansSC-Regular.otf``. The installer
puts it in ``assets/fonts/``; on Debian, UOS and Kylin the system copy serves as well.
"""

from __future__ import annotations

import functools
import os
import struct
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assets import ROOT as _ASSETS
from station.i18n import _
from station.printing.errors import PrintingError

FAMILY_NAME = "Noto Sans CJK SC"
COLLECTION_FILE = "NotoSansCJK-Regular.ttc"
SINGLE_FACE_FILES = ("NotoSansCJKsc-Regular.otf", "NotoSansSC-Regular.otf")
BUNDLED_DIR = _ASSETS / "fonts"
# Where Linux distributions put fonts-noto-cjk (Debian, UOS, Kylin; Fedora; Arch).
_LINUX_DIRS = (
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/google-noto-cjk",
    "/usr/share/fonts/noto-cjk",
    "/usr/share/fonts/truetype/noto",
)


class FontMissingError(PrintingError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "The Chinese font for printing (Noto Sans CJK SC) is missing. On Debian, UOS "
                "or Kylin install the package fonts-noto-cjk; on Windows reinstall the "
                "station app, which brings the font."
            )
        )


@dataclass(frozen=True)
class PrintFont:
    """A font file and the index of the face to use when the file is a collection."""

    path: Path
    index: int = 0


def default_dirs() -> tuple[Path, ...]:
    """The folders searched for the font, the app's own folder first."""
    dirs = [BUNDLED_DIR]
    if sys.platform.startswith("linux"):
        dirs += [Path(d) for d in _LINUX_DIRS]
        dirs.append(Path.home() / ".local/share/fonts")
    elif sys.platform == "darwin":
        dirs += [Path.home() / "Library/Fonts", Path("/Library/Fonts")]
    elif sys.platform == "win32":
        dirs.append(Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts")
        if "LOCALAPPDATA" in os.environ:
            dirs.append(Path(os.environ["LOCALAPPDATA"]) / "Microsoft/Windows/Fonts")
    return tuple(dirs)


def find_font(dirs: Sequence[Path] | None = None) -> PrintFont:
    """The printing font from the first folder of ``dirs`` (default_dirs()) that has it.

    Raises FontMissingError when none has it.
    """
    for folder in default_dirs() if dirs is None else dirs:
        found = _font_in(Path(folder))
        if found is not None:
            return found
    raise FontMissingError()


def _font_in(folder: Path) -> PrintFont | None:
    for name in SINGLE_FACE_FILES:
        if (folder / name).is_file():
            return PrintFont(folder / name)
    collection = folder / COLLECTION_FILE
    if collection.is_file():
        index = face_index(collection, FAMILY_NAME)
        if index is not None:
            return PrintFont(collection, index)
    return None


@functools.cache
def face_index(collection: Path, family: str) -> int | None:
    """The index of the face named ``family`` in a font collection, None if absent or
    the file is not a readable collection."""
    from fontTools.ttLib import TTCollection, TTLibError  # loads only when printing

    try:
        return _first_named(TTCollection(str(collection), lazy=True).fonts, family)
    except (OSError, TTLibError, struct.error, KeyError, ValueError):
        return None


def _first_named(faces: Iterable, family: str) -> int | None:
    for index, face in enumerate(faces):
        if face["name"].getDebugName(1) == family:
            return index
    return None
