"""``township catalog publish DIR``: checks, signs, stores and announces a release; refuses
an invalid catalog and a version not above the latest, publishing nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from forms.release import load_release
from sync.township.catalogs import CatalogReleases
from sync.township.cli import main
from sync.township.service import init_township, open_township
from tests.forms.sample import TINY_CATALOG
from tests.township.server import CHEAP_KDF

PASSPHRASE = "a long township passphrase"
ENV = {"TOWNSHIP_PASSPHRASE": PASSPHRASE, "TOWNSHIP_LANGUAGE": "en", "LANGUAGE": "en"}


def _run(data: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--data", str(data), *args], env=ENV)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    data = tmp_path / "township"
    init_township(data, PASSPHRASE, "Lianhua", kdf=CHEAP_KDF)
    return data


def tiny_dir(root: Path, version: int) -> Path:
    folder = root / f"tiny-{version}"
    shutil.copytree(TINY_CATALOG, folder)
    header = yaml.safe_load((folder / "catalog.yaml").read_text("utf-8"))
    (folder / "catalog.yaml").write_text(yaml.safe_dump({**header, "version": version},
                                                        allow_unicode=True), "utf-8")
    return folder


def published(data: Path) -> list[tuple[int, bytes]]:
    township = open_township(data, PASSPHRASE)
    try:
        rows = CatalogReleases(township.context, township.events).releases()
        key = township.keys.signing.public_key()
        for row in rows:
            load_release(bytes(row.data), key)
        return [(row.version, bytes(row.data)) for row in rows]
    finally:
        township.close()


def test_publish_signs_and_stores_the_release(data: Path, tmp_path: Path) -> None:
    result = _run(data, "catalog", "publish", str(tiny_dir(tmp_path, 2)))
    assert result.exit_code == 0, result.output
    assert "Published catalog version 2" in result.output
    assert [version for version, _ in published(data)] == [2]


@pytest.mark.parametrize("version", [1, 2])
def test_publish_refuses_a_version_not_above_the_latest(data: Path, tmp_path: Path,
                                                        version: int) -> None:
    assert _run(data, "catalog", "publish", str(tiny_dir(tmp_path, 2))).exit_code == 0
    result = _run(data, "catalog", "publish", str(tiny_dir(tmp_path / "again", version)))
    assert result.exit_code == 1
    assert f"Catalog version {version} is not above the latest published version 2" \
        in result.output
    assert [version for version, _ in published(data)] == [2]


def test_the_first_release_must_be_above_the_catalog_the_app_ships(data: Path,
                                                                  tmp_path: Path) -> None:
    result = _run(data, "catalog", "publish", str(tiny_dir(tmp_path, 1)))
    assert result.exit_code == 1
    assert "Catalog version 1 is not above the latest published version 1" in result.output
    assert published(data) == []


def test_publish_lists_the_problems_of_an_invalid_catalog(data: Path, tmp_path: Path) -> None:
    folder = tiny_dir(tmp_path, 2)
    (folder / "matters" / "YB-CBDJ-001.yaml").write_text("code: YB-CBDJ-001\n", "utf-8")
    result = _run(data, "catalog", "publish", str(folder))
    assert result.exit_code == 1
    assert "YB-CBDJ-001" in result.output
    assert "nothing was published" in result.output
    assert published(data) == []
