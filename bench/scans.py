"""Benchmark of importing scan pages: ``import_pages`` into a real station against copying.

Generates N A4 pages at 300 dpi (2480 × 3508) as JPEGs of about 3 MB each: a tinted paper
background, lines of dark "words", and sensor-like noise so that they do not compress away,
plus EXIF with a GPS position so that every page has metadata to strip. Then, in one run and
alternating the order round by round, it times:

- ``import_pages``: check, orient, strip and write each page into a private working
  directory, then ``attach_pages``: encrypt, hash, fsync and commit, into a real station
  (SQLCipher store and blob store in a temporary directory);
- the same files copied with ``shutil.copy``, with the real ``cp`` (one process for all the
  files), and with ``shutil.copy`` plus ``fsync`` of each copy (as durable as the store);
- and, to show where the time goes, the two halves of the import alone: ``prepare_scan`` on
  every file, and ``attach_pages`` on the original files.

It prints the median of each and the ratios of the import to the copies. No target: the
figure goes to ``docs/benchmarks.md``.

Run: ``.venv/bin/python bench/scans.py`` (``--pages N``, ``--rounds R``, ``--dir PATH``).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# bench/forms.py is named like the forms package: keep this folder off the path.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

from PIL import Image, ImageChops, ImageDraw  # noqa: E402

from station import session as sessions  # noqa: E402
from station.applicants import ApplicantInput  # noqa: E402
from station.demo import bundled_catalog, demo_id_number  # noqa: E402
from station.images import prepare_scan, private_workdir  # noqa: E402
from station.importer import import_pages  # noqa: E402
from station.keyfile import KdfParams  # noqa: E402

A4_300_DPI = (2480, 3508)
JPEG_QUALITY = 90
NOISE_AMPLITUDE = 17  # uniform ±17 grey levels: a standard deviation of about 10
MATTER, MATERIAL = "FL-GLJT-001", "id_card"
SETUP = sessions.StationSetup(
    code="BENCH01", name="基准测试村便民服务站", township="基准镇",
    login="bench", display_name="基准代办员", password="bench-pass-2026",
)


def make_page(path: Path, rng: random.Random) -> Path:
    """Write one A4 scan with text lines, noise, a paper tint and EXIF with GPS."""
    width, height = A4_300_DPI
    paper = Image.new("L", A4_300_DPI, rng.randint(228, 240))
    draw = ImageDraw.Draw(paper)
    for top in range(300, height - 300, 90):
        left = 250
        while left < width - 250:
            word = rng.randint(40, 260)
            draw.rectangle((left, top, min(left + word, width - 250), top + 34),
                           fill=rng.randint(20, 70))
            left += word + rng.randint(25, 45)
    noise = Image.frombytes("L", A4_300_DPI, os.urandom(width * height)).point(
        lambda v: 128 - NOISE_AMPLITUDE + v * (2 * NOISE_AMPLITUDE + 1) // 256
    )
    grey = ImageChops.add(paper, noise, offset=-128)
    tinted = Image.merge("RGB", (grey, grey.point(lambda v: min(255, v + 4)),
                                 grey.point(lambda v: max(0, v - 6))))
    exif = Image.Exif()
    exif[0x010F] = "DocCam"
    exif[0x8825] = {1: "N", 2: (36.0, 5.0, 49.0), 3: "E", 4: (114.0, 21.0, 10.0)}
    tinted.save(path, "JPEG", quality=JPEG_QUALITY, exif=exif.tobytes())
    return path


def make_pages(folder: Path, count: int) -> list[Path]:
    folder.mkdir()
    rng = random.Random(2026)
    return [make_page(folder / f"IMG_{n:04d}.jpg", rng) for n in range(count)]


def open_station(root: Path) -> sessions.Session:
    """A new station; cheap key derivation, since logging in is not what is measured."""
    data_dir = root / "station"
    sessions.init_station(data_dir, SETUP, kdf=KdfParams(memory_kib=1024, iterations=1, lanes=1))
    return sessions.login(data_dir, SETUP.login, SETUP.password)


class Methods:
    """The timed operations; each gets a fresh target every time it runs."""

    def __init__(self, session: sessions.Session, pages: list[Path], root: Path) -> None:
        self.session, self.pages, self.root = session, pages, root
        catalog = bundled_catalog()
        self.matter, self.catalog_version = catalog.matter(MATTER), catalog.version
        self.applicant = session.applicants.save(
            ApplicantInput(name="基准申请人", id_number=demo_id_number("19500101", "013"))
        )
        self.runs = 0

    def _draft(self) -> str:
        case = self.session.cases.create_draft(self.matter, self.catalog_version, self.applicant)
        return case.uuid

    def _target(self) -> Path:
        self.runs += 1
        target = self.root / f"copy-{self.runs}"
        target.mkdir()
        return target

    def import_pages(self) -> None:
        report = import_pages(self.session.materials, self._draft(), MATERIAL, self.pages,
                              work_dir=self.session.paths.root / "work")
        assert len(report.pages) == len(self.pages), report.summary()

    def prepare_only(self) -> None:
        with private_workdir(self.session.paths.root / "work") as work:
            for page in self.pages:
                prepare_scan(page, work)

    def attach_only(self) -> None:
        self.session.materials.attach_pages(self._draft(), MATERIAL, self.pages)

    def shutil_copy(self) -> None:
        target = self._target()
        for page in self.pages:
            shutil.copy(page, target)

    def cp(self) -> None:
        subprocess.run(["cp", "--", *map(str, self.pages), str(self._target())], check=True)

    def shutil_copy_fsync(self) -> None:
        target = self._target()
        for page in self.pages:
            with open(page, "rb") as src, open(target / page.name, "wb") as dst:
                shutil.copyfileobj(src, dst, 1024 * 1024)
                dst.flush()
                os.fsync(dst.fileno())

    def table(self) -> dict[str, Callable[[], None]]:
        return {
            "import_pages (prepare + attach)": self.import_pages,
            "  prepare_scan alone": self.prepare_only,
            "  attach_pages alone (originals)": self.attach_only,
            "shutil.copy": self.shutil_copy,
            "cp (one process)": self.cp,
            "shutil.copy + fsync": self.shutil_copy_fsync,
        }


def measure(methods: Methods, rounds: int) -> dict[str, list[float]]:
    """Run every method once per round, in a rotated order each round."""
    table = methods.table()
    times: dict[str, list[float]] = {label: [] for label in table}
    labels = list(table)
    for round_no in range(rounds):
        shift = round_no % len(labels)
        for label in labels[shift:] + labels[:shift]:
            started = time.perf_counter()
            table[label]()
            times[label].append(time.perf_counter() - started)
    return times


def report(times: dict[str, list[float]], pages: list[Path], rounds: int) -> None:
    total = sum(page.stat().st_size for page in pages)
    median = {label: statistics.median(values) for label, values in times.items()}
    print(f"{len(pages)} pages, {total / 2**20:.1f} MiB "
          f"({total / len(pages) / 2**20:.2f} MiB a page); median of {rounds} rounds")
    print("| operation | median s | ms a page | MiB/s |")
    print("|---|---:|---:|---:|")
    for label, seconds in median.items():
        print(f"| {label.strip()} | {seconds:.3f} | {seconds * 1000 / len(pages):.1f} | "
              f"{total / 2**20 / seconds:.0f} |")
    imported = median["import_pages (prepare + attach)"]
    for baseline in ("cp (one process)", "shutil.copy", "shutil.copy + fsync"):
        print(f"import_pages / {baseline}: {imported / median[baseline]:.1f}×")


def machine() -> None:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        cpuinfo = []
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line),
               platform.processor() or "unknown")
    print(f"Machine: {os.cpu_count()} CPUs, {cpu}; Python {platform.python_version()}; "
          f"Pillow {Image.__version__}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=None,
                        help="where to make the temporary station (default: the temp dir)")
    arguments = parser.parse_args()
    if arguments.pages < 1 or arguments.rounds < 1:
        parser.error("--pages and --rounds must be at least 1")
    with tempfile.TemporaryDirectory(prefix="bench-scans-", dir=arguments.dir) as folder:
        root = Path(folder)
        print(f"Generating {arguments.pages} pages...", flush=True)
        pages = make_pages(root / "drop", arguments.pages)
        machine()
        with open_station(root) as session:
            times = measure(Methods(session, pages, root), arguments.rounds)
        report(times, pages, arguments.rounds)


if __name__ == "__main__":
    main()
