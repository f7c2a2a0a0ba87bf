"""Preparing scans, thumbnails and display rotation, on real files made with Pillow."""

from __future__ import annotations

import io
import stat
import sys
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageDraw, ImageOps, ImageStat, PngImagePlugin

from station import images
from station.images import (
    Change,
    DamagedScanError,
    NotAScanError,
    ScanLimits,
    ScanReadError,
    ScanTooLargeError,
    apply_rotation,
    pdf_icon,
    prepare_scan,
    private_workdir,
    thumbnail,
)

ORIENTATION, GPS_IFD, MAKE = 0x0112, 0x8825, 0x010F
SECRET = "Ouyang Mingzhu, 11010519491231002X"


@pytest.fixture(autouse=True)
def english(monkeypatch) -> None:
    """Messages are checked in the source language, whatever the runner's locale."""
    monkeypatch.setenv("LANGUAGE", "en")


def _page(size: tuple[int, int] = (400, 300), mode: str = "RGB") -> Image.Image:
    """A picture whose halves differ: top red, bottom blue, with a line of 'text'."""
    image = Image.new("RGB", size, (220, 30, 30))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, size[1] // 2, size[0], size[1]), fill=(30, 30, 220))
    draw.rectangle((size[0] // 8, size[1] // 8, size[0] // 2, size[1] // 8 + 6), fill="black")
    return image.convert(mode)


def _noise(size: tuple[int, int]) -> Image.Image:
    return Image.merge("RGB", [Image.effect_noise(size, 60) for _ in range(3)])


def _exif(orientation: int | None = None, gps: bool = True) -> bytes:
    exif = Image.Exif()
    exif[MAKE] = "DocCam 3000"
    if orientation is not None:
        exif[ORIENTATION] = orientation
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (39.0, 54.0, 26.0), 3: "E", 4: (116.0, 23.0, 29.0)}
    return exif.tobytes()


def _save(path: Path, image: Image.Image, image_format: str = "JPEG", **options) -> Path:
    image.save(path, image_format, **options)
    return path


def _difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel, 0-255."""
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
    return max(ImageStat.Stat(diff).mean)


@pytest.fixture
def work(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir(mode=0o700)
    return path


# --- checking what a file really is -----------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"",
        "姓名：欧阳明珠\n身份证号：11010519491231002X\n".encode(),
        b"II*\x00\x08\x00\x00\x00",  # a TIFF
        b"GIF89a\x01\x00\x01\x00",
    ],
    ids=["empty", "text", "tiff", "gif"],
)
def test_a_file_that_is_not_a_jpeg_png_or_pdf_is_refused(tmp_path, work, content) -> None:
    fake = tmp_path / "scan.jpg"
    fake.write_bytes(content)
    with pytest.raises(NotAScanError):
        prepare_scan(fake, work)
    assert list(work.iterdir()) == []


@pytest.mark.parametrize("keep", [0.5, 0.9, -2], ids=["half", "most", "all-but-end-marker"])
def test_a_truncated_jpeg_is_refused_as_damaged(tmp_path, work, keep) -> None:
    whole = _save(tmp_path / "whole.jpg", _noise((300, 200)), quality=90).read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole[: int(len(whole) * keep)] if keep > 0 else whole[:keep])
    with pytest.raises(DamagedScanError):
        prepare_scan(cut, work)


def test_a_png_with_a_broken_checksum_is_refused_as_damaged(tmp_path, work) -> None:
    data = bytearray(_save(tmp_path / "a.png", _page(), "PNG").read_bytes())
    data[40] ^= 0xFF  # inside the first IDAT chunk
    broken = tmp_path / "broken.png"
    broken.write_bytes(bytes(data))
    with pytest.raises(DamagedScanError):
        prepare_scan(broken, work)


@pytest.mark.parametrize(
    "content", [b"\xff\xd8\xff\xe0garbage" * 50, b"\x89PNG\r\n\x1a\nnot a png at all"]
)
def test_a_scan_header_on_something_else_is_refused_as_damaged(tmp_path, work, content) -> None:
    fake = tmp_path / "fake"
    fake.write_bytes(content)
    with pytest.raises(DamagedScanError):
        prepare_scan(fake, work)


def test_an_unreadable_source_is_a_read_error_without_its_path(tmp_path, work) -> None:
    for source in (tmp_path / "欧阳明珠-身份证.jpg", tmp_path):
        with pytest.raises(ScanReadError) as caught:
            prepare_scan(source, work)
        assert "欧阳明珠" not in str(caught.value) and str(tmp_path) not in str(caught.value)
        assert caught.value.__suppress_context__  # the OSError naming the path stays hidden


# --- decompression bombs ----------------------------------------------------------------------


def _png_claiming(tmp_path: Path, width: int, height: int) -> Path:
    """A tiny PNG whose header claims ``width`` × ``height`` pixels."""
    data = bytearray(_save(tmp_path / "tiny.png", Image.new("L", (1, 1)), "PNG").read_bytes())
    data[16:24] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    path = tmp_path / "bomb.png"
    path.write_bytes(bytes(data))
    return path


def test_an_image_past_twice_pillows_limit_is_refused(tmp_path, work) -> None:
    bomb = _png_claiming(tmp_path, 50_000, 50_000)
    with pytest.raises(ScanTooLargeError):
        prepare_scan(bomb, work)
    with pytest.raises(ScanTooLargeError):
        thumbnail(bomb, (100, 100))


def test_an_image_past_pillows_limit_is_refused_after_its_warning(tmp_path, work) -> None:
    bomb = _png_claiming(tmp_path, 10_000, 10_000)
    with pytest.warns(Image.DecompressionBombWarning), pytest.raises(ScanTooLargeError):
        prepare_scan(bomb, work)


def test_the_pixel_limit_can_be_lowered(tmp_path, work) -> None:
    path = _save(tmp_path / "a.png", _page((40, 30)), "PNG")
    with pytest.raises(ScanTooLargeError):
        prepare_scan(path, work, ScanLimits(max_pixels=40 * 30 - 1))
    assert prepare_scan(path, work, ScanLimits(max_pixels=40 * 30)).dimensions == (40, 30)


def test_a_file_past_the_byte_limit_is_refused_unread(tmp_path, work) -> None:
    path = _save(tmp_path / "a.png", _page(), "PNG")
    with pytest.raises(ScanTooLargeError):
        prepare_scan(path, work, ScanLimits(max_file_bytes=path.stat().st_size - 1))


# --- orientation ------------------------------------------------------------------------------


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied_and_dropped(tmp_path, work, orientation) -> None:
    source = _save(tmp_path / "o.jpg", _page(), exif=_exif(orientation), quality=95)
    prepared = prepare_scan(source, work)
    with Image.open(source) as original, Image.open(prepared.path) as result:
        expected = ImageOps.exif_transpose(original)
        assert result.size == expected.size == prepared.dimensions
        assert _difference(result, expected) < 3
        assert ORIENTATION not in result.getexif()
    assert (Change.ORIENTED in prepared.changes) == (orientation != 1)


def test_orientation_6_turns_the_page_clockwise(tmp_path, work) -> None:
    source = _save(tmp_path / "o.jpg", _page((300, 200)), exif=_exif(6), quality=95)
    prepared = prepare_scan(source, work)
    with Image.open(prepared.path) as result:
        assert result.size == (200, 300)
        red, blue = result.convert("RGB").getpixel((180, 150)), result.getpixel((20, 150))
    assert red[0] > 150 > red[2] and blue[2] > 150 > blue[0]  # the top went to the right
    assert prepared.media_type == images.JPEG
    assert prepared.original_dimensions == (200, 300)


def test_a_turned_png_stays_a_lossless_png(tmp_path, work) -> None:
    image = _page().convert("P")
    source = _save(tmp_path / "o.png", image, "PNG", exif=_exif(8))
    prepared = prepare_scan(source, work)
    with Image.open(prepared.path) as result:
        assert result.format == "PNG"
        assert result.convert("RGB").tobytes() == image.rotate(90, expand=True).convert(
            "RGB"
        ).tobytes()
    assert Change.ORIENTED in prepared.changes


# --- downscaling ------------------------------------------------------------------------------


def test_a_6000_by_4000_photo_is_downscaled_to_a4_at_300_dpi(tmp_path, work) -> None:
    source = _save(tmp_path / "big.jpg", _page((6000, 4000)), quality=90)
    assert source.stat().st_size < 4 * images.MEBIBYTE
    prepared = prepare_scan(source, work)
    assert prepared.dimensions == (3508, 2339) and prepared.original_dimensions == (6000, 4000)
    assert prepared.changes == {Change.DOWNSCALED}
    assert prepared.notes() == ["The image was reduced from 6000×4000 to 3508×2339 pixels."]
    with Image.open(prepared.path) as result:
        assert (result.format, result.size) == ("JPEG", (3508, 2339))


def test_a_big_png_becomes_a_jpeg_with_transparency_on_white(tmp_path, work) -> None:
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((0, 0, 299, 199), fill=(0, 0, 200, 255))
    source = _save(tmp_path / "big.png", image, "PNG")
    prepared = prepare_scan(source, work, ScanLimits(max_side=300))
    with Image.open(prepared.path) as result:
        assert (result.format, result.mode, result.size) == ("JPEG", "RGB", (300, 100))
        assert result.getpixel((250, 50)) == pytest.approx((255, 255, 255), abs=8)
        assert result.getpixel((50, 50)) == pytest.approx((0, 0, 200), abs=8)


def _grey16(path: Path, size: tuple[int, int]) -> Path:
    """A 16-bit grey PNG: a vertical gradient from black to white."""
    gradient = Image.linear_gradient("L").resize(size).convert("I").point(lambda v: v * 257)
    return _save(path, gradient.convert("I;16"), "PNG")


def test_a_16_bit_grey_png_keeps_its_greys_when_reencoded(tmp_path, work) -> None:
    source = _grey16(tmp_path / "grey16.png", (200, 400))
    prepared = prepare_scan(source, work, ScanLimits(max_side=100))
    with Image.open(prepared.path) as result:
        assert (result.format, result.mode, result.size) == ("JPEG", "L", (50, 100))
        assert result.getpixel((25, 50)) == pytest.approx(128, abs=10)
    thumb = _open_png(thumbnail(source, (50, 100)))
    assert thumb.getpixel((25, 50)) == pytest.approx(128, abs=10)


@pytest.mark.parametrize("max_bytes", [120_000, 40_000])
def test_a_heavy_file_is_recompressed_until_it_fits(tmp_path, work, max_bytes) -> None:
    source = _save(tmp_path / "heavy.jpg", _noise((500, 500)), quality=100)
    assert source.stat().st_size > max_bytes
    prepared = prepare_scan(source, work, ScanLimits(max_bytes=max_bytes))
    assert prepared.size == prepared.path.stat().st_size <= max_bytes
    assert Change.RECOMPRESSED in prepared.changes
    width, height = prepared.dimensions
    assert width == height and (Change.DOWNSCALED in prepared.changes) == (width < 500)
    assert prepared.notes()[-1].startswith("The image was compressed from 0.")


def test_a_heavy_file_at_the_default_limits_is_recompressed_below_4_mib(tmp_path, work) -> None:
    source = _save(tmp_path / "heavy.jpg", _noise((1700, 1700)), quality=100)
    assert source.stat().st_size > 4 * images.MEBIBYTE
    prepared = prepare_scan(source, work)
    assert prepared.size <= 4 * images.MEBIBYTE
    assert prepared.changes == {Change.RECOMPRESSED} and prepared.dimensions == (1700, 1700)


# --- metadata ---------------------------------------------------------------------------------


JPEG_VARIANTS = {
    "baseline": ("RGB", {}),
    "progressive": ("RGB", {"progressive": True}),
    "restart-markers": ("RGB", {"restart_marker_rows": 1}),
    "no-subsampling": ("RGB", {"subsampling": 0}),
    "grey": ("L", {}),
    "cmyk": ("CMYK", {}),
}


@pytest.mark.parametrize("variant", JPEG_VARIANTS)
def test_jpeg_metadata_is_removed_without_touching_a_pixel(tmp_path, work, variant) -> None:
    mode, options = JPEG_VARIANTS[variant]
    source = tmp_path / "meta.jpg"
    _page(mode=mode).save(
        source, "JPEG", exif=_exif(1), comment=SECRET.encode(),
        xmp=f"<x:xmpmeta>{SECRET}</x:xmpmeta>".encode(), quality=90, **options,
    )
    prepared = prepare_scan(source, work)
    output = prepared.path.read_bytes()
    assert SECRET.encode() not in output and b"DocCam" not in output
    with Image.open(source) as original, Image.open(prepared.path) as result:
        assert not result.getexif() and not result.getexif().get_ifd(GPS_IFD)
        assert not {"exif", "xmp", "comment"} & set(result.info)
        assert (result.mode, result.tobytes()) == (original.mode, original.tobytes())
        for rendering in ("jfif", "adobe", "adobe_transform"):  # what decoders need stays
            assert result.info.get(rendering) == original.info.get(rendering)
    assert prepared.changes == {Change.METADATA_REMOVED}
    assert prepared.notes() == ["Hidden camera data, such as the location, was removed."]


def test_data_after_the_end_of_a_jpeg_is_dropped(tmp_path, work) -> None:
    source = _save(tmp_path / "a.jpg", _page(), quality=90)
    clean = source.read_bytes()
    source.write_bytes(clean + b"\xff\xd8\xff\xe1" + SECRET.encode())
    prepared = prepare_scan(source, work)
    assert prepared.path.read_bytes() == clean
    assert prepared.changes == {Change.METADATA_REMOVED}


def test_a_clean_jpeg_is_stored_byte_for_byte(tmp_path, work) -> None:
    source = _save(tmp_path / "a.jpg", _page(), quality=90)
    prepared = prepare_scan(source, work)
    assert prepared.path.read_bytes() == source.read_bytes()
    assert prepared.changes == frozenset() and prepared.notes() == []


def test_an_icc_profile_survives_stripping(tmp_path, work) -> None:
    profile = b"\x00" * 128 + b"acsp" + b"\x00" * 200  # kept as bytes; not interpreted
    source = _save(tmp_path / "a.jpg", _page(), icc_profile=profile, exif=_exif(1))
    with Image.open(prepare_scan(source, work).path) as result:
        assert result.info["icc_profile"] == profile


def test_png_text_and_exif_chunks_are_removed_without_touching_a_pixel(tmp_path, work) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", SECRET)
    info.add_itxt("Comment", SECRET, lang="zh")
    info.add_text("Description", SECRET, zip=True)
    image = _page().convert("RGBA")
    source = _save(tmp_path / "meta.png", image, "PNG", pnginfo=info, exif=_exif(1), dpi=(300, 300))
    prepared = prepare_scan(source, work)
    output = prepared.path.read_bytes()
    assert SECRET.encode() not in output and b"DocCam" not in output
    with Image.open(prepared.path) as result:
        assert not result.getexif() and not result.text
        assert result.tobytes() == image.tobytes()
        assert result.info["dpi"] == pytest.approx((300, 300), rel=1e-3)
    assert prepared.changes == {Change.METADATA_REMOVED}


def test_a_downscaled_image_carries_no_metadata(tmp_path, work) -> None:
    source = _save(tmp_path / "big.jpg", _page((800, 600)), exif=_exif(6), comment=SECRET.encode())
    prepared = prepare_scan(source, work, ScanLimits(max_side=400))
    assert SECRET.encode() not in prepared.path.read_bytes()
    with Image.open(prepared.path) as result:
        assert not result.getexif() and "comment" not in result.info
        assert result.size == (300, 400)
    assert prepared.changes == {Change.ORIENTED, Change.DOWNSCALED, Change.METADATA_REMOVED}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(min_size=1, max_size=200), image_format=st.sampled_from(["JPEG", "PNG"]))
def test_no_metadata_text_reaches_the_prepared_file(tmp_path, text, image_format) -> None:
    marker = f"MARKER-{text}".encode()
    source = tmp_path / f"h.{image_format.lower()}"
    exif = Image.Exif()
    exif[MAKE] = marker.decode()
    options = {"exif": exif.tobytes()}
    if image_format == "JPEG":
        options["comment"] = marker
    else:
        options["pnginfo"] = PngImagePlugin.PngInfo()
        options["pnginfo"].add_itxt("Author", marker.decode())
    _page((64, 48)).save(source, image_format, **options)
    with private_workdir(tmp_path) as work:
        output = prepare_scan(source, work).path.read_bytes()
    assert marker not in output and marker.decode().encode("utf-16-le") not in output


# --- PDF --------------------------------------------------------------------------------------


def _pdf(path: Path) -> Path:
    page = Image.new("RGB", (595, 842), "white")
    ImageDraw.Draw(page).rectangle((100, 100, 495, 300), fill="black")
    return _save(path, page, "PDF", resolution=72)


def test_a_pdf_is_copied_unchanged(tmp_path, work) -> None:
    source = _pdf(tmp_path / "a.pdf")
    prepared = prepare_scan(source, work)
    assert prepared.path.read_bytes() == source.read_bytes()
    assert (prepared.media_type, prepared.dimensions, prepared.changes) == (
        images.PDF, None, frozenset()
    )


def test_a_pdf_cut_short_is_refused_as_damaged(tmp_path, work) -> None:
    whole = _pdf(tmp_path / "a.pdf").read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(whole[: len(whole) - 100])
    with pytest.raises(DamagedScanError):
        prepare_scan(cut, work)


# --- where prepared files go ------------------------------------------------------------------


def test_the_work_dir_is_private_and_removed_afterwards(tmp_path) -> None:
    source = _save(tmp_path / "欧阳明珠.jpg", _page())
    with private_workdir(tmp_path / "station" / "work") as work:
        assert stat.S_IMODE(work.stat().st_mode) == 0o700
        assert stat.S_IMODE(work.parent.stat().st_mode) == 0o700
        prepared = prepare_scan(source, work)
        assert prepared.path.parent == work
        assert stat.S_IMODE(prepared.path.stat().st_mode) == 0o600
        assert "欧阳明珠" not in prepared.path.name and prepared.path.suffix == ".jpg"
    assert not work.exists()


def test_the_default_work_dir_is_private_too() -> None:
    with private_workdir() as work:
        assert stat.S_IMODE(work.stat().st_mode) == 0o700
    assert not work.exists()


# --- rotation and thumbnails ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("degrees", "expected"),
    [(0, None), (90, Image.Transpose.ROTATE_270), (180, Image.Transpose.ROTATE_180),
     (270, Image.Transpose.ROTATE_90), (360, None), (-90, Image.Transpose.ROTATE_90),
     (450, Image.Transpose.ROTATE_270)],
)
def test_apply_rotation_turns_clockwise(degrees, expected) -> None:
    image = _page((40, 20))
    turned = apply_rotation(image, degrees)
    wanted = image if expected is None else image.transpose(expected)
    assert turned.size == wanted.size and turned.tobytes() == wanted.tobytes()


def test_a_quarter_turn_clockwise_puts_the_top_on_the_right() -> None:
    turned = apply_rotation(_page((40, 20)), 90)
    assert turned.size == (20, 40)
    assert turned.getpixel((19, 20))[0] > 150 and turned.getpixel((0, 20))[2] > 150


@pytest.mark.parametrize("degrees", [45, 1, -30])
def test_apply_rotation_refuses_other_angles(degrees) -> None:
    with pytest.raises(ValueError):
        apply_rotation(_page((4, 4)), degrees)
    with pytest.raises(ValueError):
        thumbnail(b"\xff\xd8\xff", (10, 10), rotation=degrees)


def _open_png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image


@pytest.mark.parametrize(
    ("rotation", "size"), [(0, (160, 120)), (90, (120, 160)), (180, (160, 120)), (270, (120, 160))]
)
def test_a_thumbnail_fits_its_box_after_turning(tmp_path, rotation, size) -> None:
    source = _save(tmp_path / "a.jpg", _page((2000, 1500)), exif=_exif(1))
    thumb = _open_png(thumbnail(source, (160, 160), rotation=rotation))
    assert thumb.size == size


def test_a_thumbnail_follows_exif_orientation_and_accepts_bytes(tmp_path) -> None:
    source = _save(tmp_path / "a.jpg", _page((400, 300)), exif=_exif(6))
    from_path = thumbnail(source, (100, 100))
    assert thumbnail(source.read_bytes(), (100, 100)) == from_path
    assert _open_png(from_path).size == (75, 100)


def test_a_cmyk_jpeg_thumbnail_is_rgb(tmp_path) -> None:
    source = _save(tmp_path / "a.jpg", _page(mode="CMYK"))
    assert _open_png(thumbnail(source, (50, 50))).mode == "RGB"


def test_a_pdf_thumbnail_shows_its_first_page(tmp_path) -> None:
    thumb = _open_png(thumbnail(_pdf(tmp_path / "a.pdf"), (119, 168))).convert("L")
    assert thumb.size == (119, 168)
    assert thumb.getpixel((60, 40)) < 60 and thumb.getpixel((60, 120)) > 200  # the black band
    assert thumb.tobytes() != pdf_icon((119, 168)).convert("L").tobytes()


def test_a_pdf_thumbnail_is_an_icon_when_pdfium_cannot_open_it(tmp_path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\nnot really a pdf\n%%EOF\n")
    thumb = _open_png(thumbnail(broken, (119, 168)))
    assert thumb.tobytes() == pdf_icon((119, 168)).tobytes()


def test_a_pdf_thumbnail_is_an_icon_without_pypdfium2(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pypdfium2", None)  # import now raises ImportError
    thumb = _open_png(thumbnail(_pdf(tmp_path / "a.pdf"), (119, 168), rotation=90))
    assert thumb.tobytes() == pdf_icon((168, 119)).transpose(Image.Transpose.ROTATE_270).tobytes()


@pytest.mark.parametrize("size", [(16, 16), (119, 168), (400, 300)])
def test_the_pdf_icon_is_drawn_at_any_size(size) -> None:
    icon = pdf_icon(size)
    assert icon.size == size
    assert (192, 57, 43) in {colour for _count, colour in icon.getcolors(maxcolors=100_000)}


def test_a_thumbnail_of_a_damaged_image_is_a_typed_error(tmp_path) -> None:
    whole = _save(tmp_path / "a.jpg", _noise((200, 200))).read_bytes()
    with pytest.raises(DamagedScanError):
        thumbnail(whole[: len(whole) // 2], (50, 50))
    with pytest.raises(NotAScanError):
        thumbnail(b"hello", (50, 50))


@pytest.fixture(scope="module")
def clean_scans(tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("clean")
    return {
        "jpeg": _save(folder / "a.jpg", _page((64, 48)), exif=_exif(6), comment=b"c").read_bytes(),
        "progressive": _save(folder / "p.jpg", _page((64, 48)), progressive=True).read_bytes(),
        "png": _save(folder / "a.png", _page((64, 48)), "PNG", exif=_exif(3)).read_bytes(),
    }


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow on EXIF it cannot parse
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(["jpeg", "progressive", "png"]),
    edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=4),
    cut=st.one_of(st.none(), st.floats(0, 1)),
)
def test_a_damaged_file_raises_only_scan_errors(tmp_path, clean_scans, kind, edits, cut) -> None:
    data = bytearray(clean_scans[kind])
    for where, value in edits:
        data[int(where * len(data))] = value
    if cut is not None:
        data = data[: int(cut * len(data))]
    source = tmp_path / "fuzzed"
    source.write_bytes(bytes(data))
    with private_workdir(tmp_path) as work:
        try:
            prepared = prepare_scan(source, work)
        except images.ScanError:
            return
        with Image.open(prepared.path) as result:
            result.load()
