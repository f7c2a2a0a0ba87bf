"""The command line: ``python -m forms check DIR``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from forms.__main__ import main
from tests.forms.sample import BUNDLED_CATALOG, TINY_CATALOG, field, matter_data, write_catalog


def test_check_prints_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(TINY_CATALOG)]) == 0
    out = capsys.readouterr().out
    assert "Catalog tiny-county version 1" in out
    assert "Matters: 3" in out
    assert "  社会救助: 1" in out
    assert "Fields: 16" in out
    assert "Materials: 7 (4 deferrable)" in out
    assert "Calendar years: 2027" in out


def test_check_prints_one_line_per_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_catalog(tmp_path, [
        matter_data([field("a", relevant="nope"), field("b", "integr")], code="AA-001"),
        matter_data(code="BB-001", time_limits={"statutory_days": 1, "promised_days": 2}),
    ])
    assert main(["check", str(root)]) == 1
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 3
    assert "AA-001.yaml matter=AA-001 field=b: type: 'integr' is not allowed" in lines[0]
    assert "matter=BB-001: time_limits: promised_days (2) exceeds" in lines[1]
    assert lines[2] == "2 problem(s) found."
    assert captured.out == ""


def test_check_runs_as_a_module() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "forms", "check", str(TINY_CATALOG)],
        capture_output=True, text=True, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "Matters: 3" in completed.stdout


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main([])
    assert caught.value.code == 2


def test_the_bundled_catalog_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["check", str(BUNDLED_CATALOG)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "Matters:" in captured.out
