"""Faults: consolidate killed at random points, and outputs that cannot be written."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import REPO, SAMPLE_REGISTER, run_cli

AS_OF = "2027-04-19"
RETURNS = REPO / "samples" / "returns"


def _consolidate_args(folder: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "partxl", "consolidate", str(folder), "--out", str(out), "--previous", str(SAMPLE_REGISTER),
            "--as-of", AS_OF, "--json"]


def _ledger_consistent(path: Path) -> None:
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for answers, findings, metadata in db.execute("SELECT answers, findings, metadata FROM files"):
            json.loads(answers), json.loads(findings), json.loads(metadata)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    done = subprocess.run(_consolidate_args(RETURNS, out), capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    return out


def test_killed_at_random_points_leaves_old_or_new_whole_and_a_rerun_equals_a_clean_run(clean: Path, tmp_path: Path):
    half = tmp_path / "half"
    half.mkdir()
    for path in [p for p in sorted(RETURNS.iterdir()) if not p.name.startswith("P015")][::2]:  # P015's two returns come
        # together, as in the clean run: returns are ordered by the run that first saw them, so splitting them would not
        # give the clean run's register (nor should it)
        shutil.copy(path, half / path.name)
    out = tmp_path / "out"
    done = subprocess.run(_consolidate_args(half, out), capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    old = (out / "register.xlsx").read_bytes()
    new = (clean / "register.xlsx").read_bytes()
    rnd = random.Random(20261123)
    for _ in range(6):
        process = subprocess.Popen(_consolidate_args(RETURNS, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rnd.uniform(0.05, 1.5))
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        assert (out / "register.xlsx").read_bytes() in (old, new)
        _ledger_consistent(out / "ledger.sqlite")
        assert not list(out.glob(".*.tmp"))
        for kept in (out / "superseded").glob("register.*.xlsx") if (out / "superseded").exists() else []:
            assert kept.read_bytes() in (old, new)
    done = subprocess.run(_consolidate_args(RETURNS, out), capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert (out / "register.xlsx").read_bytes() == new
    assert (out / "validation_report.xlsx").read_bytes() == (clean / "validation_report.xlsx").read_bytes()
    _ledger_consistent(out / "ledger.sqlite")


def test_an_output_folder_that_cannot_be_written_is_a_clear_error(clean: Path, tmp_path: Path):
    blocker = tmp_path / "not a folder"
    blocker.write_text("a file where the output folder should be")
    code, _, err = run_cli("consolidate", str(RETURNS), "--out", str(blocker / "out"), "--previous", str(SAMPLE_REGISTER),
                           "--as-of", AS_OF)
    assert code == 2 and "not a folder" in err and "Traceback" not in err
    assert blocker.read_text().startswith("a file")
