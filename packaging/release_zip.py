"""Write the release artifact ``village-station-<version>.zip`` from a built bundle folder.

``python packaging/release_zip.py dist/station dist`` (``make dist`` runs it): the zip holds
the bundle folder's contents at its root, each entry keeping its permission bits (the
installer restores the executable ones), with ``app.json`` naming the version and the
command that opens the app, ready for ``township release add``. The spec writes the same
``app.json`` into the bundle folder after building, so the folder itself installs too. See
docs/packaging.md.
"""

from __future__ import annotations

import argparse
import json
import os
import zipfile
from pathlib import Path

import station

MANIFEST = "app.json"


def app_command(bundle: Path) -> list[str]:
    """The start command of the app in ``bundle``, relative to it: ``station app``."""
    program = "station.exe" if (bundle / "station.exe").is_file() else "station"
    return [program, "app"]


def manifest(bundle: Path, version: str) -> dict[str, object]:
    """The ``app.json`` of ``bundle`` as ``version``. Raises FileNotFoundError when
    ``bundle`` has no app program."""
    command = app_command(bundle)
    if not (bundle / command[0]).is_file():
        raise FileNotFoundError(f"no {command[0]} in {bundle}")
    return {"version": version, "command": command}


def write_manifest(bundle: Path, version: str) -> None:
    """Write ``bundle/app.json`` (the spec does, after building). Raises FileNotFoundError
    when ``bundle`` has no app program, OSError when writing fails."""
    text = json.dumps(manifest(bundle, version), indent=2) + "\n"
    (bundle / MANIFEST).write_text(text, "utf-8")


def write_release(bundle: Path, out_dir: Path, version: str) -> Path:
    """Zip ``bundle`` with the ``app.json`` of ``version`` into ``out_dir``, leaving the
    bundle as it is; the zip's path. Raises FileNotFoundError when ``bundle`` has no app
    program, OSError when writing fails."""
    text = json.dumps(manifest(bundle, version), indent=2) + "\n"
    target = out_dir / f"village-station-{version}.zip"
    partial = target.with_name(target.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, text)
        for path in sorted(bundle.rglob("*")):
            name = path.relative_to(bundle).as_posix()
            if path.is_file() and name != MANIFEST:
                archive.write(path, name)
    os.replace(partial, target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description="Write village-station-<version>.zip.")
    parser.add_argument("bundle", type=Path, help="the built bundle folder (dist/station)")
    parser.add_argument("out_dir", type=Path, help="where the zip goes (dist)")
    parser.add_argument("--version", default=station.__version__,
                        help="the release version (default: station.__version__)")
    options = parser.parse_args()
    print(write_release(options.bundle, options.out_dir, options.version))


if __name__ == "__main__":
    main()
