"""Shared fixtures: workbooks generated once per session through the real CLI."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from partxl.cli import main
from partxl.config import load_config
from partxl.forms.definitions import load_spec

REPO = Path(__file__).resolve().parent.parent
SAMPLE_REGISTER = REPO / "samples" / "register.xlsx"


def run_cli(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    """Run ``partxl ARGS`` in-process; returns (exit code, stdout, stderr)."""
    runner = CliRunner()
    if cwd is None:
        result = runner.invoke(main, list(args), catch_exceptions=False)
    else:
        with runner.isolated_filesystem(temp_dir=cwd):
            result = runner.invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="session")
def spec():
    return load_spec()


@pytest.fixture(scope="session")
def config():
    return load_config(None)


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Path:
    """Every sample partnership's workbook and the blank proposal, made by `partxl generate`."""
    out = tmp_path_factory.mktemp("generated")
    code, _, err = run_cli("generate", "--register", str(SAMPLE_REGISTER), "--out", str(out), "--blank")
    assert code == 0, err
    return out


@pytest.fixture(scope="session")
def sample_returns(tmp_path_factory) -> Path:
    """The shipped returns (samples/returns) as the MIO's folder has them: P015's correction arrived a minute after its
    first go (a checkout gives every file the same time, and returns that arrive together are held for the MIO)."""
    returns = shutil.copytree(REPO / "samples" / "returns", tmp_path_factory.mktemp("sample-returns") / "returns")
    first = (returns / "P015 first go.xlsx").stat().st_mtime
    os.utime(returns / "P015 corrected.xlsx", (first + 60, first + 60))
    return returns


@pytest.fixture(scope="session")
def sample_cycle(tmp_path_factory, sample_returns: Path) -> Path:
    """The shipped sample cycle (:func:`sample_returns`), consolidated through the CLI as at 19 April 2027."""
    out = tmp_path_factory.mktemp("sample-cycle")
    code, _, err = run_cli("consolidate", str(sample_returns), "--out", str(out), "--previous",
                           str(SAMPLE_REGISTER), "--as-of", "2027-04-19")
    assert code in (0, 1), err
    return out


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copy(SAMPLE_REGISTER, tmp_path / "register.xlsx")
    return tmp_path
