"""Scans before they are stored: checks, clean-up, thumbnails and display rotation.

:func:`prepare_scan` checks a scan from the document camera (or a file the agent picked)
and writes a cleaned copy for :meth:`station.materials.MaterialService.attach_pages`:

- it must really be a JPEG, PNG or PDF. Images are verified and fully decoded with Pillow
  (decoding is what finds a truncated JPEG); a PDF must start with ``%PDF-`` and end with
  ``%%EOF``.
- An image with more pixels than Pillow's decompression-bomb limit is refused unopened.
- EXIF orientation is applied, so the stored page is upright without it.
- An oversized image (longest side over 3508 px, A4 at 300 dpi, or a file over 4 MiB) is
  re-encoded as JPEG at quality 85, scaled down keeping its aspect, until it fits.
- Metadata (EXIF with GPS position, camera serial and times; XMP; comments; PNG text) is
  removed. When the pixels need no change this is lossless: the metadata segments are
  dropped and the compressed image data is copied byte for byte. A re-encoded image is
  written without any.

A PDF is copied unchanged: its document information (author, producer) is not rewritten.

Prepared files go into a private working directory (:func:`private_workdir`, mode 0700)
under random names; never into a shared temp directory.

First pages of PDFs are rendered for thumbnails with PDFium (``pypdfium2``, a wheel with the
library inside, no system binaries) where it is installed; elsewhere, and for a PDF PDFium
cannot open, the thumbnail is a drawn PDF icon.
"""

from __future__ import annotations

import enum
import io
import math
import os
import re
import shutil
import struct
import tempfile
import threading
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont, ImageOps

from station.errors import StationError
from station.i18n import _

JPEG, PNG, PDF = "image/jpeg", "image/png", "application/pdf"
_SIGNATURES = ((b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG), (b"%PDF-", PDF))
_EXTENSIONS = {JPEG: ".jpg", PNG: ".png", PDF: ".pdf"}
_PILLOW_FORMATS = ("JPEG", "PNG")
MEBIBYTE = 1024 * 1024
_ORIENTATION = 0x0112
# Where a PDF's trailer may end: readers accept "%%EOF" within the last 1 KiB.
_PDF_TAIL = 1024
# Pillow raises ValueError, SyntaxError, struct.error... as well as OSError on bad data.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError,
                  struct.error, zlib.error)
_SHRINK_ROUNDS = 4
_CLOCKWISE = {
    0: None,
    90: Image.Transpose.ROTATE_270,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}
# PDFium is not thread-safe; thumbnails may be made on several worker threads.
_PDFIUM_LOCK = threading.Lock()


@dataclass(frozen=True)
class ScanLimits:
    """Limits of :func:`prepare_scan` and :func:`thumbnail`; defaults suit A4 document scans."""

    max_side: int = 3508
    max_bytes: int = 4 * MEBIBYTE
    max_pixels: int = 89_478_485  # Pillow's own default decompression-bomb limit
    max_file_bytes: int = 64 * MEBIBYTE
    jpeg_quality: int = 85


class ScanError(StationError):
    """A file cannot be used as a page. The message says why, never which file."""


class NotAScanError(ScanError):
    def __init__(self) -> None:
        super().__init__(_("Only JPEG, PNG and PDF files can be added as pages."))


class DamagedScanError(ScanError):
    """The file is incomplete or damaged (still being written, or a broken copy)."""

    def __init__(self) -> None:
        super().__init__(_("This file is damaged or incomplete; scan the page again."))


class ScanTooLargeError(ScanError):
    """Too many pixels (a decompression bomb) or too many bytes to open safely."""

    def __init__(self) -> None:
        super().__init__(
            _("This file is too large to open safely; scan the page again at a lower resolution.")
        )


class ScanReadError(ScanError):
    """The system refused to read the file."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "This file could not be read; check that it is still there and not open "
                "in another program."
            )
        )


class Change(enum.StrEnum):
    """What :func:`prepare_scan` did to a file."""

    ORIENTED = "oriented"
    DOWNSCALED = "downscaled"
    RECOMPRESSED = "recompressed"
    METADATA_REMOVED = "metadata_removed"


@dataclass(frozen=True)
class PreparedScan:
    """A checked, cleaned copy of a scan, ready for ``attach_pages``."""

    path: Path
    media_type: str
    size: int
    original_size: int
    dimensions: tuple[int, int] | None
    original_dimensions: tuple[int, int] | None
    changes: frozenset[Change]

    def notes(self) -> list[str]:
        """What was done to the file, in plain words for the agent; empty when nothing."""
        notes = []
        if Change.ORIENTED in self.changes:
            notes.append(_("The page was turned upright, as the camera recorded it."))
        if Change.DOWNSCALED in self.changes and self.dimensions and self.original_dimensions:
            notes.append(
                _("The image was reduced from {old} to {new} pixels.").format(
                    old=_pixels(self.original_dimensions), new=_pixels(self.dimensions)
                )
            )
        if Change.RECOMPRESSED in self.changes:
            notes.append(
                _("The image was compressed from {old} to {new}.").format(
                    old=_megabytes(self.original_size), new=_megabytes(self.size)
                )
            )
        if Change.METADATA_REMOVED in self.changes:
            notes.append(_("Hidden camera data, such as the location, was removed."))
        return notes


def _pixels(dimensions: tuple[int, int]) -> str:
    return f"{dimensions[0]}×{dimensions[1]}"


def _megabytes(size: int) -> str:
    return f"{size / MEBIBYTE:.1f} MB"


@contextmanager
def private_workdir(parent: Path | None = None) -> Iterator[Path]:
    """A new directory only this user can open (0700), removed with its files on exit.

    ``parent`` (created 0700 if missing) should be on the station's own disk; None uses the
    system temp directory, where the new directory is just as private.
    """
    if parent is not None:
        Path(parent).mkdir(mode=0o700, parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="scans-", dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def prepare_scan(source: Path, work_dir: Path, limits: ScanLimits = ScanLimits()) -> PreparedScan:
    """Check ``source`` and write its prepared copy into ``work_dir``.

    Raises NotAScanError, DamagedScanError, ScanTooLargeError or ScanReadError (about the
    source); an OSError while writing into ``work_dir`` propagates.
    """
    data = _read_source(Path(source), limits)
    media_type = _sniff(data)
    if media_type == PDF:
        _check_pdf(data)
        path = _write_new(work_dir, data, PDF)
        return PreparedScan(path, PDF, len(data), len(data), None, None, frozenset())
    return _prepare_image(data, media_type, work_dir, limits)


def _read_source(source: Path, limits: ScanLimits) -> bytes:
    try:
        with open(source, "rb") as handle:
            data = handle.read(limits.max_file_bytes + 1)
    except OSError:
        raise ScanReadError() from None
    if len(data) > limits.max_file_bytes:
        raise ScanTooLargeError()
    return data


def _sniff(data: bytes) -> str:
    for signature, media_type in _SIGNATURES:
        if data.startswith(signature):
            return media_type
    raise NotAScanError()


def _check_pdf(data: bytes) -> None:
    if b"%%EOF" not in data[-_PDF_TAIL:]:
        raise DamagedScanError()


def _write_new(work_dir: Path, data: bytes, media_type: str) -> Path:
    """Write ``data`` to a new randomly named file in ``work_dir``, readable by its owner only."""
    path = Path(work_dir) / (uuid.uuid4().hex + _EXTENSIONS[media_type])
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    with os.fdopen(os.open(path, flags, 0o600), "wb") as out:
        out.write(data)
    return path


def _prepare_image(
    data: bytes, media_type: str, work_dir: Path, limits: ScanLimits
) -> PreparedScan:
    image = _open_image(data, limits)
    orientation = image.getexif().get(_ORIENTATION, 1)
    turned = orientation in range(2, 9)
    # As the page stands: orientations 5-8 swap width and height.
    original = image.size[::-1] if orientation in range(5, 9) else image.size
    stripped, had_metadata = _strip(data, media_type)
    oversized = max(original) > limits.max_side or len(data) > limits.max_bytes
    if turned or oversized:
        encoded, media_type, dimensions, changes = _transform(image, len(data), limits)
    else:
        image.draft(None, (1, 1))  # a JPEG decodes at 1/8 scale: all of its data is still read
        _load(image)
        encoded, dimensions, changes = stripped, original, set()
    if had_metadata:
        changes.add(Change.METADATA_REMOVED)
    path = _write_new(work_dir, encoded, media_type)
    return PreparedScan(
        path, media_type, len(encoded), len(data), dimensions, original, frozenset(changes)
    )


def _open_image(data: bytes, limits: ScanLimits) -> Image.Image:
    """Open and verify a JPEG or PNG (not decoded yet); raise the scan errors."""
    try:
        with Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS)
    except Image.DecompressionBombError:
        raise ScanTooLargeError() from None
    except _DECODE_ERRORS:  # UnidentifiedImageError too: a scan's header on something else
        raise DamagedScanError() from None
    if image.width * image.height > limits.max_pixels:
        raise ScanTooLargeError()
    return image


def _load(image: Image.Image) -> None:
    """Decode all of ``image``; raise DamagedScanError when its data is broken or cut short."""
    try:
        image.load()
    except _DECODE_ERRORS:
        raise DamagedScanError() from None


def _transform(
    image: Image.Image, original_bytes: int, limits: ScanLimits
) -> tuple[bytes, str, tuple[int, int], set[Change]]:
    """Turn upright, downscale and re-encode: (encoded, media type, dimensions, changes)."""
    source_format, qtables = image.format, getattr(image, "quantization", None)
    icc, transparency = image.info.get("icc_profile"), image.info.get("transparency")
    original_pixels, mode = image.width * image.height, image.mode
    oversized = max(image.size) > limits.max_side
    if oversized:
        image.draft(None, (limits.max_side, limits.max_side))
    _load(image)
    changes: set[Change] = set()
    if image.getexif().get(_ORIENTATION, 1) in range(2, 9):
        ImageOps.exif_transpose(image, in_place=True)
        changes.add(Change.ORIENTED)
    if not oversized and original_bytes <= limits.max_bytes:
        encoded, media_type = _reencode_same(image, source_format, qtables, icc, transparency)
    else:
        image = _jpeg_ready(image)
        image.thumbnail((limits.max_side, limits.max_side), Image.Resampling.LANCZOS)
        image, encoded = _encode_within(image, limits, icc, mode)
        media_type = JPEG
        if original_bytes > limits.max_bytes:
            changes.add(Change.RECOMPRESSED)
    if image.width * image.height < original_pixels:
        changes.add(Change.DOWNSCALED)
    return encoded, media_type, image.size, changes


def _reencode_same(
    image: Image.Image,
    source_format: str | None,
    qtables: object,
    icc: bytes | None,
    transparency: object,
) -> tuple[bytes, str]:
    """Re-encode an only-turned image in its own format (a JPEG keeps its quantisation)."""
    if source_format == "PNG":
        return _encode(image, "PNG", icc_profile=icc, transparency=transparency), PNG
    return _encode(image, "JPEG", qtables=qtables, icc_profile=icc), JPEG


def _encode_within(
    image: Image.Image, limits: ScanLimits, icc: bytes | None, source_mode: str
) -> tuple[Image.Image, bytes]:
    """JPEG-encode ``image``, scaling it down until the file fits ``limits.max_bytes``."""
    keep_icc = icc if image.mode == source_mode else None
    encoded = _encode(image, "JPEG", quality=limits.jpeg_quality, icc_profile=keep_icc)
    for _round in range(_SHRINK_ROUNDS):
        if len(encoded) <= limits.max_bytes:
            break
        factor = math.sqrt(limits.max_bytes / len(encoded)) * 0.95
        size = (max(1, int(image.width * factor)), max(1, int(image.height * factor)))
        image = image.resize(size, Image.Resampling.LANCZOS)
        encoded = _encode(image, "JPEG", quality=limits.jpeg_quality, icc_profile=keep_icc)
    return image, encoded


def _eight_bit(image: Image.Image) -> Image.Image:
    """A 16-bit (or 1-bit) grey image as 8-bit grey; Pillow's own conversion would clip."""
    if image.mode.startswith("I"):
        return image.convert("I").point(lambda value: value / 256).convert("L")
    return image.convert("L") if image.mode == "1" else image


def _jpeg_ready(image: Image.Image) -> Image.Image:
    """``image`` in a mode JPEG can hold: L or RGB, transparency flattened onto white."""
    image = _eight_bit(image)
    if image.mode in ("L", "RGB"):
        return image
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _encode(image: Image.Image, image_format: str, **options: object) -> bytes:
    """Encode ``image`` with only the given options: no metadata carried over from a source."""
    image.info = {}
    options = {key: value for key, value in options.items() if value is not None}
    out = io.BytesIO()
    image.save(out, image_format, **options)
    return out.getvalue()


def _strip(data: bytes, media_type: str) -> tuple[bytes, bool]:
    """The image without metadata, byte for byte otherwise; and whether anything was dropped."""
    return (_strip_jpeg if media_type == JPEG else _strip_png)(data)


# JPEG markers (ITU T.81, table B.1).
_SOI, _EOI, _SOS, _APP0, _APP2, _APP14, _COM = 0xD8, 0xD9, 0xDA, 0xE0, 0xE2, 0xEE, 0xFE
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
_MARKER_IN_SCAN = re.compile(rb"\xff[\x01-\xcf\xd8-\xfe]")
# Application segments that carry rendering information, not metadata, by their identifier.
_KEPT_APP = {_APP0: b"JFIF\x00", _APP2: b"ICC_PROFILE\x00", _APP14: b"Adobe"}


def _strip_jpeg(data: bytes) -> tuple[bytes, bool]:
    """Drop APPn segments other than JFIF, ICC profile and Adobe, comments, and anything
    after the end-of-image marker (such as the extra images of an MPO file)."""
    out, pos, dropped = [data[:2]], 2, False
    while True:
        marker, pos = _next_marker(data, pos)
        if marker == _EOI:
            out.append(b"\xff\xd9")
            return b"".join(out), dropped or pos < len(data)
        if marker in _STANDALONE:
            out.append(bytes((0xFF, marker)))
            continue
        end = pos + int.from_bytes(data[pos : pos + 2], "big")
        if end <= pos + 1 or end > len(data):
            raise DamagedScanError()
        if _is_metadata(marker, data[pos + 2 : end]):
            dropped = True
        else:
            out.append(bytes((0xFF, marker)) + data[pos:end])
        pos = end
        if marker == _SOS:
            scan_end = _entropy_end(data, pos)
            out.append(data[pos:scan_end])
            pos = scan_end


def _next_marker(data: bytes, pos: int) -> tuple[int, int]:
    """The marker at ``pos`` (after fill bytes) and the position after it."""
    if data[pos : pos + 1] != b"\xff":
        raise DamagedScanError()
    while data[pos : pos + 1] == b"\xff":
        pos += 1
    if pos >= len(data) or data[pos] in (0x00, _SOI):
        raise DamagedScanError()
    return data[pos], pos + 1


def _entropy_end(data: bytes, pos: int) -> int:
    """Where the entropy-coded data that starts at ``pos`` ends: at the next real marker
    (0xFF then a code other than 0x00, a restart marker or another 0xFF)."""
    found = _MARKER_IN_SCAN.search(data, pos)
    if found is None:
        raise DamagedScanError()
    return found.start()


def _is_metadata(marker: int, payload: bytes) -> bool:
    if marker == _COM:
        return True
    if 0xE0 <= marker <= 0xEF:
        kept = _KEPT_APP.get(marker)
        return kept is None or not payload.startswith(kept)
    return False


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Critical chunks and the ancillary chunks that change how pixels look; all others
# (tEXt, zTXt, iTXt, eXIf, tIME, private chunks) are metadata.
_PNG_KEPT = frozenset(
    {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT",
     b"sRGB", b"cICP", b"pHYs", b"bKGD"}
)


def _strip_png(data: bytes) -> tuple[bytes, bool]:
    """Drop metadata chunks and anything after IEND."""
    out, pos, dropped = [_PNG_SIGNATURE], len(_PNG_SIGNATURE), False
    while pos + 12 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind, end = data[pos + 4 : pos + 8], pos + 12 + length
        if end > len(data):
            break
        if kind in _PNG_KEPT:
            out.append(data[pos:end])
        else:
            dropped = True
        pos = end
        if kind == b"IEND":
            return b"".join(out), dropped or pos < len(data)
    raise DamagedScanError()


def apply_rotation(image: Image.Image, degrees: int) -> Image.Image:
    """``image`` turned clockwise by ``degrees`` (``MaterialFile.rotation``), for display.

    Returns ``image`` itself for 0; raises ValueError unless ``degrees`` is a multiple of 90.
    """
    turn = _clockwise(degrees)
    return image if turn is None else image.transpose(turn)


def _clockwise(degrees: int) -> Image.Transpose | None:
    if degrees % 90:
        raise ValueError("a page turns by multiples of 90 degrees")
    return _CLOCKWISE[degrees % 360]


def thumbnail(
    source: Path | bytes,
    size: tuple[int, int],
    *,
    rotation: int = 0,
    limits: ScanLimits = ScanLimits(),
) -> bytes:
    """A PNG of the page that fits ``size`` (width, height), turned by ``rotation``.

    ``source`` is a file or the page's bytes (for a stored page, what ``read_page`` yields).
    A PDF shows its first page, or a PDF icon where it cannot be rendered. Raises
    ValueError for a rotation that is not a multiple of 90, and the scan errors.
    """
    _clockwise(rotation)
    data = source if isinstance(source, bytes) else _read_source(Path(source), limits)
    box = size if rotation % 180 == 0 else (size[1], size[0])
    if _sniff(data) == PDF:
        image = _render_pdf_page(data, box) or pdf_icon(box)
    else:
        image = _image_thumbnail(data, box, limits)
    out = io.BytesIO()
    apply_rotation(image, rotation).save(out, "PNG")
    return out.getvalue()


def _image_thumbnail(data: bytes, box: tuple[int, int], limits: ScanLimits) -> Image.Image:
    image = _open_image(data, limits)
    side = max(box)
    image.draft(None, (side, side))
    _load(image)
    image = ImageOps.exif_transpose(image)
    image = _eight_bit(image)
    image.thumbnail(box)
    return image if image.mode in ("L", "LA", "P", "RGB", "RGBA") else image.convert("RGB")


def _render_pdf_page(data: bytes, box: tuple[int, int]) -> Image.Image | None:
    """The first page of a PDF rendered to fit ``box``; None without PDFium or if it fails."""
    renderer = _pdfium()
    if renderer is None:
        return None
    with _PDFIUM_LOCK:
        try:
            pdf = renderer.PdfDocument(data)
            try:
                return _render_first(pdf, box)
            finally:
                pdf.close()
        except (renderer.PdfiumError, IndexError, ValueError):
            return None


def _render_first(pdf: Any, box: tuple[int, int]) -> Image.Image | None:
    page = pdf[0]
    width, height = page.get_size()
    if width <= 0 or height <= 0:
        return None
    scale = min(box[0] / width, box[1] / height)
    return page.render(scale=scale).to_pil().copy()


def _pdfium():  # noqa: ANN202 - the pypdfium2 module, or None
    """pypdfium2, imported on first use (it is large), or None where it is not installed."""
    try:
        import pypdfium2
    except ImportError:
        return None
    return pypdfium2


def pdf_icon(size: tuple[int, int]) -> Image.Image:
    """A generic PDF page icon of ``size``, drawn (no image files needed)."""
    width, height = size
    icon = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(icon)
    margin, fold = max(1, min(size) // 10), max(2, min(size) // 4)
    right, bottom = width - margin - 1, height - margin - 1
    outline = [(margin, margin), (right - fold, margin), (right, margin + fold),
               (right, bottom), (margin, bottom)]
    draw.polygon(outline, fill="#f4f4f4", outline="#7f8c8d")
    draw.polygon([(right - fold, margin), (right - fold, margin + fold), (right, margin + fold)],
                 fill="#d0d3d4", outline="#7f8c8d")
    band = max(4, height // 6)
    top = (height - band) // 2
    draw.rectangle((margin, top, right, top + band), fill="#c0392b")
    font = ImageFont.load_default(size=max(6, band * 7 // 10))
    draw.text((width / 2, top + band / 2), "PDF", fill="white", font=font, anchor="mm")
    return icon

