"""Draw the app icon: assets/icons/station.png (256×256) and station.ico (Windows sizes).

Run from the project root: ``.venv/bin/python packaging/make_icon.py``. The output is checked
in; run this again only to change the drawing. Needs the printing font (Noto Sans CJK SC).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from station.printing.fonts import find_font

ICONS = Path(__file__).resolve().parents[1] / "assets" / "icons"
SIZE = 256
RED = (200, 32, 38, 255)  # the red of service-hall signs
WHITE = (255, 255, 255, 255)
ICO_SIZES = [(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]


def draw() -> Image.Image:
    """A red rounded square with a white 站 (station) and a white band under it."""
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((8, 8, SIZE - 8, SIZE - 8), radius=44, fill=RED)
    font = find_font()
    face = ImageFont.truetype(str(font.path), 150, index=font.index)
    pen.text((SIZE / 2, 118), "站", font=face, fill=WHITE, anchor="mm")
    pen.rounded_rectangle((56, 200, SIZE - 56, 214), radius=7, fill=WHITE)
    return image


def main() -> None:
    ICONS.mkdir(parents=True, exist_ok=True)
    image = draw()
    image.save(ICONS / "station.png", optimize=True)
    image.save(ICONS / "station.ico", sizes=ICO_SIZES)


if __name__ == "__main__":
    main()
